using System.Collections.Concurrent;
using System.Numerics;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Discovery;
using Peerz.Ledger.Payments;
using Peerz.Protocol.Payments;

namespace Peerz.Client.Payments;

/// <summary>
/// The client's side of paying per token. For each request it reserves the cost in its ledger, makes sure its
/// escrow lane to the provider covers the new cumulative amount (<see cref="EscrowLanes"/>; without lanes the
/// caller keeps them funded), and signs a voucher for it; requests to one provider go one at a time, so vouchers
/// arrive in nonce order. The response's receipt is checked field by field before the output is used: it must
/// name the provider paid, this client, the amount signed for and the serving mode the provider announced. A
/// request the provider refused is taken back, so the client only ever signs for work it asked for and was not refused.
/// </summary>
public sealed class ClientPayments(ClientPaymentOptions options, ClientLedger ledger, ProviderAccounts accounts, TimeProvider time, ILogger<ClientPayments> logger,
    EscrowLanes? lanes = null)
{
    private readonly ConcurrentDictionary<Address, SemaphoreSlim> _locks = new();

    public Address Client => options.Client.Address;

    /// <summary>Raised for every accepted receipt (for display, reporting to settlement, and tests).</summary>
    public event Action<PaymentRecord>? Paid;

    public async Task<PaidRequest> BeginAsync(ProviderRecord provider, long tokens, int blocks, CancellationToken cancellationToken)
    {
        var account = await accounts.ResolveAsync(provider, cancellationToken).ConfigureAwait(false);
        var cost = WorkPricing.Cost(tokens, blocks, account.PricePerToken);
        var gate = _locks.GetOrAdd(account.Account, _ => new SemaphoreSlim(1, 1));
        if (!await gate.WaitAsync(options.ProviderQueueTimeout, cancellationToken).ConfigureAwait(false))
            throw new TimeoutException($"waited {options.ProviderQueueTimeout.TotalSeconds:F0} s for the previous request to provider {provider.PeerId} to be answered");
        try
        {
            Protocol.Wire.Voucher? voucher = null;
            if (!cost.IsZero)
            {
                var (cumulative, nonce) = await ledger.ReserveAsync(account.Account, cost, cancellationToken).ConfigureAwait(false);
                try
                {
                    if (lanes is not null) await lanes.EnsureCoversAsync(account.Account, cumulative, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    await ledger.ReleaseAsync(account.Account, cost, CancellationToken.None).ConfigureAwait(false);
                    throw;
                }
                var signed = SignedVoucher.Sign(new Voucher(Client, account.Account, cumulative, nonce), options.Client, options.ChainId, options.Escrow);
                voucher = signed.ToWire();
            }
            return new PaidRequest(this, provider.PeerId, account, cost, voucher, gate, AnnouncedMode(provider));
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    internal async Task AcceptAsync(string peerId, ProviderAccount account, BigInteger cost, ServingMode? mode, Protocol.Wire.Receipt? wire, ExpectedWork expected,
        CancellationToken cancellationToken)
    {
        var receipt = Check(account, cost, mode, wire, expected);
        await ledger.RecordReceiptAsync(receipt.Receipt.Digest(options.ChainId, options.Registry), account.Account, expected.SessionId, expected.Step, cost,
            receipt.ToWire().ToByteArray(), cancellationToken).ConfigureAwait(false);
        Paid?.Invoke(new PaymentRecord(peerId, account, cost, receipt));
    }

    internal Task RefundAsync(ProviderAccount account, BigInteger cost, CancellationToken cancellationToken)
    {
        if (cost.IsZero) return Task.CompletedTask;
        // The refusal may be the provider seeing a smaller lane than we think (a release requested elsewhere).
        lanes?.Forget(account.Account);
        return ledger.ReleaseAsync(account.Account, cost, cancellationToken);
    }

    /// <summary>The serving mode a provider announces, or null when it announces one no receipt can state (then every receipt is refused).</summary>
    private static ServingMode? AnnouncedMode(ProviderRecord provider)
    {
        var mode = new ServingMode(provider.DType, provider.Quantization);
        try
        {
            mode.Encode();
            return mode;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private SignedReceipt Check(ProviderAccount account, BigInteger cost, ServingMode? mode, Protocol.Wire.Receipt? wire, ExpectedWork expected)
    {
        if (wire is null) throw Rejected(account, "the response carries no receipt");
        SignedReceipt signed;
        try
        {
            signed = SignedReceipt.FromWire(wire);
        }
        catch (FormatException e)
        {
            throw Rejected(account, $"malformed receipt: {e.Message}");
        }
        var r = signed.Receipt;
        string? problem = null;
        if (r.SessionId[0] != (byte)expected.Kind) problem = $"its session id does not mark {expected.Kind} work";
        else if (!r.SessionId.AsSpan().SequenceEqual(expected.SessionId) || r.Step != expected.Step) problem = "it is for another session or step";
        else if (!r.ModelId.AsSpan().SequenceEqual(WorkIds.Model(expected.ModelId))) problem = "it names another model";
        else if (r.BlockStart != expected.BlockStart || r.BlockEnd != expected.BlockEnd) problem = $"it covers blocks [{r.BlockStart}, {r.BlockEnd}), not [{expected.BlockStart}, {expected.BlockEnd})";
        else if (!r.InputHash.AsSpan().SequenceEqual(WorkBytes.Hash(expected.Input))) problem = "its input hash is not the hash of what was sent";
        else if (!r.OutputHash.AsSpan().SequenceEqual(WorkBytes.Hash(expected.Output))) problem = "its output hash is not the hash of what came back";
        else if (r.Tokens != expected.Tokens) problem = $"it counts {r.Tokens} tokens, not {expected.Tokens}";
        else if (r.Provider != account.Account) problem = $"it names provider {r.Provider}, not the account paid, {account.Account}";
        else if (r.Client != (cost.IsZero ? Address.Zero : Client)) problem = $"it names client {r.Client}, not {(cost.IsZero ? "no one (free work)" : Client)}";
        else if (r.Amount != cost) problem = $"it charges {r.Amount} wei, not the {cost} wei signed for";
        else if (mode is null || r.ServingMode != mode.Value.Encode()) problem = $"it states serving mode {ServingMode.Decode(r.ServingMode)?.ToString() ?? $"0x{r.ServingMode:x2}"}, not the announced {mode?.ToString() ?? "(unknown)"}";
        else if (Math.Abs((double)r.Timestamp - time.GetUtcNow().ToUnixTimeSeconds()) > options.MaxClockSkew.TotalSeconds) problem = "its timestamp is off by more than the allowed clock skew";
        else if (signed.SignerOrNull(options.ChainId, options.Registry) != account.Signer) problem = $"it is not signed by the provider's registered signer {account.Signer}";
        return problem is null ? signed : throw Rejected(account, problem);
    }


    private PaymentException Rejected(ProviderAccount account, string problem)
    {
        logger.LogWarning("rejected the receipt of {Provider}: {Problem}", account.Account, problem);
        return new PaymentException($"receipt from {account.Account} rejected: {problem}");
    }
}
