using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Chain.Rpc;
using Peerz.Settlement.Storage;

namespace Peerz.Settlement.Contributions;

/// <summary>
/// Checks reported work against the chain and records it: receipts must be signed (EIP-712, registry domain) by
/// the provider's registered signer, verifications by a VERIFIER_ROLE holder about a known receipt; both count for
/// the epoch of their timestamp, which must be the current one (closed epochs are final, future ones are refused).
/// </summary>
public sealed class ContributionIntake(SettlementChain chain, SettlementStore store, ILogger<ContributionIntake> logger)
{
    /// <summary>Units above this (tokens × blocks) are not a plausible single response; refusing them also keeps SUM in 64 bits.</summary>
    public const long MaxUnitsPerReceipt = 1L << 40;

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
        var units = (long)receipt.Tokens * (receipt.BlockEnd - receipt.BlockStart);
        if (units > MaxUnitsPerReceipt) throw IntakeException.Unprocessable($"{units} units (tokens × blocks) in one receipt is implausible; the limit is {MaxUnitsPerReceipt}");

        var digest = receipt.Digest(chain.ChainId, chain.Registry.Address);
        var signer = Recover(digest, signature);
        var info = await ReadAsync(() => chain.Registry.GetProviderAsync(provider, cancellationToken)).ConfigureAwait(false);
        if (info.Signer == Address.Zero) throw IntakeException.Unprocessable($"{provider} is not a registered provider");
        if (signer != info.Signer) throw IntakeException.Forbidden($"the receipt is signed by {signer}, but {provider}'s registered signer is {info.Signer}");

        var epoch = await EpochOfAsync(receipt.Timestamp, cancellationToken).ConfigureAwait(false);
        var fresh = await store.AddContributionAsync(new Contribution(digest, epoch, provider, role, units), cancellationToken).ConfigureAwait(false);
        logger.LogDebug("Receipt {Digest} of {Provider}: {Units} {Role} units in epoch {Epoch}{Duplicate}", Hex.Encode(digest), provider, units, role, epoch, fresh ? "" : " (duplicate)");
        return new ReportResult(epoch, role.ToString().ToLowerInvariant(), units, !fresh, Hex.Encode(digest));
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
        var fresh = await store.AddContributionAsync(new Contribution(key, epoch, message.Verifier, ContributionRole.Verification, 1), cancellationToken).ConfigureAwait(false);
        return new ReportResult(epoch, "verification", 1, !fresh, Hex.Encode(key));
    }

    private async Task<long> EpochOfAsync(ulong timestamp, CancellationToken cancellationToken)
    {
        var epoch = chain.Clock.EpochOf(timestamp) ?? throw IntakeException.Unprocessable($"timestamp {timestamp} is before the first epoch");
        var current = await ReadAsync(() => chain.CurrentEpochAsync(cancellationToken)).ConfigureAwait(false);
        if (epoch < current) throw IntakeException.Conflict($"epoch {epoch} is closed (the current epoch is {current})");
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
