using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Chain.Rpc;
using Peerz.Settlement.Forwarding;
using Peerz.Settlement.Rewards;
using Peerz.Settlement.Storage;

namespace Peerz.Settlement.Contributions;

/// <summary>
/// Checks reported work and records what may be rewarded. A receipt is taken only when it states paid, checkable
/// work (issue 22 #1, spec §7): signed (EIP-712, registry domain) by a signer whose registry owner is the provider
/// the receipt names; for a configured model with blockEnd ≤ its layers; paid (amount &gt; 0) by a named client.
/// How much of its amount is credited is decided at close, against what the client's vouchers redeemed on chain,
/// and with the provider's registry standing then. Verifications must be signed by a VERIFIER_ROLE holder about a
/// known receipt. Work counts for the epoch of its timestamp: the current one, or the one that just ended until
/// <see cref="SettlementOptions.CloseDelay"/> after its end (later ones are refused, closed ones are final).
/// Accepted receipts are forwarded to the verifiers.
/// </summary>
public sealed class ContributionIntake(SettlementChain chain, SettlementStore store, SettlementOptions options, ReceiptForwarder forwarder, ILogger<ContributionIntake> logger)
{
    /// <summary>
    /// No single response costs more than this (10^30 wei = 10^12 PRZ, beyond any supply): a bound on every stored
    /// amount and on every sum of them, whatever a signer puts in a receipt.
    /// </summary>
    public static readonly BigInteger MaxAmountPerReceipt = BigInteger.Pow(10, 30);

    private static readonly byte[] VerificationKeyPrefix = "peerz.verification:"u8.ToArray();

    public async Task<ReportResult> ReportReceiptAsync(ReceiptReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        var (receipt, signature) = report.Parse();
        var provider = receipt.Provider;
        var role = SessionKind.RoleOf(receipt.SessionId)
            ?? throw IntakeException.Unprocessable($"sessionId kind 0x{receipt.SessionId[0]:x2} is neither inference (0x01), forward (0x02) nor backward (0x03)");
        if (receipt.BlockEnd <= receipt.BlockStart) throw IntakeException.Unprocessable($"block range [{receipt.BlockStart}, {receipt.BlockEnd}) is empty");
        if (receipt.Tokens == 0) throw IntakeException.Unprocessable("tokens must be positive");
        var layers = options.Models.LayersOf(receipt.ModelId)
            ?? throw IntakeException.Unprocessable($"model {Hex.Encode(receipt.ModelId)} is not one settlement rewards (configured: {options.Models})");
        if (receipt.BlockEnd > layers) throw IntakeException.Unprocessable($"block range [{receipt.BlockStart}, {receipt.BlockEnd}) is past the model's {layers} blocks");
        if (receipt.Client == Address.Zero) throw IntakeException.Unprocessable("the receipt names no paying client: free work earns no reward");
        if (receipt.Amount.IsZero) throw IntakeException.Unprocessable("the receipt's amount is 0: unpaid work earns no reward");
        if (receipt.Amount > MaxAmountPerReceipt) throw IntakeException.Unprocessable($"an amount of {receipt.Amount} wei for one response is implausible; the limit is {MaxAmountPerReceipt}");

        // The digest covers the provider, so the signer's owner must be exactly the provider the receipt names:
        // a receipt reported under another provider, or signed by another provider's signer, is not this provider's work.
        var digest = receipt.Digest(chain.ChainId, chain.Registry.Address);
        var signer = Recover(digest, signature);
        var owner = await ReadAsync(() => chain.Registry.SignerOwnerAsync(signer, cancellationToken)).ConfigureAwait(false);
        if (owner == Address.Zero) throw IntakeException.Forbidden($"the receipt is signed by {signer}, which is no provider's registered signer");
        if (owner != provider) throw IntakeException.Forbidden($"the receipt names provider {provider}, but its signer {signer} belongs to {owner}");

        var epoch = await EpochOfAsync(receipt.Timestamp, cancellationToken).ConfigureAwait(false);
        var fresh = await store.AddReceiptAsync(new PaidReceipt(digest, epoch, provider, receipt.Client, role, receipt.Amount), cancellationToken).ConfigureAwait(false);
        if (fresh) forwarder.Forward(report);
        if (logger.IsEnabled(LogLevel.Debug)) IntakeLog.ReceiptTaken(logger, Hex.Encode(digest), provider, receipt.Client, receipt.Amount, role, epoch, fresh ? "" : " (duplicate)");
        return new ReportResult(epoch, RoleClaim.NameOf(role), receipt.Amount.ToString(CultureInfo.InvariantCulture), !fresh, Hex.Encode(digest));
    }

    public async Task<ReportResult> ReportVerificationAsync(VerificationReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        var (message, signature) = report.Parse();
        var signer = Recover(message.Digest(chain.ChainId, chain.Rewards.Address), signature);
        if (signer != message.Verifier) throw IntakeException.Forbidden($"the verification is signed by {signer}, not by {message.Verifier}");
        if (!await ReadAsync(() => chain.Registry.HasRoleAsync(ProviderRegistry.VerifierRole, message.Verifier, cancellationToken)).ConfigureAwait(false))
            throw IntakeException.Forbidden($"{message.Verifier} does not hold VERIFIER_ROLE on the registry");
        if (!await store.HasReceiptAsync(message.ReceiptDigest, cancellationToken).ConfigureAwait(false))
            throw IntakeException.Unprocessable($"receipt {Hex.Encode(message.ReceiptDigest)} is unknown to settlement; report the receipt first");

        var epoch = await EpochOfAsync(message.Timestamp, cancellationToken).ConfigureAwait(false);
        var key = Keccak.Hash([.. VerificationKeyPrefix, .. message.ReceiptDigest]);
        var fresh = await store.AddContributionAsync(new Contribution(key, epoch, message.Verifier, RewardRole.Verification, 1), cancellationToken).ConfigureAwait(false);
        if (logger.IsEnabled(LogLevel.Debug)) IntakeLog.VerificationTaken(logger, Hex.Encode(message.ReceiptDigest), message.Verifier, epoch, fresh ? "" : " (duplicate)");
        return new ReportResult(epoch, RoleClaim.NameOf(RewardRole.Verification), "1", !fresh, Hex.Encode(key));
    }

    private async Task<long> EpochOfAsync(ulong timestamp, CancellationToken cancellationToken)
    {
        var epoch = chain.Clock.EpochOf(timestamp) ?? throw IntakeException.Unprocessable($"timestamp {timestamp} is before the first epoch");
        var current = await ReadAsync(() => chain.CurrentEpochAsync(cancellationToken)).ConfigureAwait(false);
        if (epoch < current)
        {
            var now = await ReadAsync(() => chain.Rpc.BlockTimestampAsync(null, cancellationToken)).ConfigureAwait(false);
            if (epoch < current - 1 || now >= chain.Clock.End(epoch) + (ulong)options.CloseDelay.TotalSeconds)
                throw IntakeException.Conflict($"epoch {epoch} is closed (the current epoch is {current})");
        }

        if (epoch > current) throw IntakeException.Unprocessable($"timestamp {timestamp} lies in epoch {epoch}, after the current epoch {current}");
        return epoch;
    }

    private static Address Recover(byte[] digest, EthSignature signature)
    {
        try
        {
            return EthKey.RecoverAddress(digest, signature);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or ArithmeticException)
        {
            throw IntakeException.Forbidden($"the signature is invalid: {e.Message}");
        }
    }

    // A chain that cannot be read is our problem, not the reporter's: 503 so the reporter retries.
    private static async Task<T> ReadAsync<T>(Func<Task<T>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            throw new IntakeException(503, $"the chain cannot be read right now: {e.Message}");
        }
    }
}
