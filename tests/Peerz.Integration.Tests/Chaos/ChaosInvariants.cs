using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using Peerz.Chain.Crypto;

namespace Peerz.Integration.Tests.Chaos;

/// <summary>
/// The invariants of issue 18, each read from the chain (the JSON of js/chain-audit.mjs, produced with ethers) and the
/// ledgers (plain SQL): none goes through the code under test. Every violation is collected before failing, so one
/// run shows all of them.
/// </summary>
public static class ChaosInvariants
{
    public static void Check(JsonNode audit, IReadOnlyCollection<GenerationOutcome> outcomes, ChaosNetwork network,
        IReadOnlyList<(EthKey Key, string Ledger)> clients, IReadOnlyList<(EthKey Key, string Ledger)> providers, Func<string, int> stopsOf, Action<string> say)
    {
        var violations = new List<string>();
        var redemptions = audit["redeemed"]!.AsArray().Select(e => (
            Client: Lower(e!["client"]), Provider: Lower(e["provider"]), Nonce: Big(e["nonce"]), Cumulative: Big(e["cumulative"]), Paid: Big(e["paid"]), Fee: Big(e["fee"]))).ToList();
        var feeBps = audit["protocolFeeBps"]!.GetValue<int>();

        // 1. Each client's escrow spend (deposited - unreserved balance - lanes - pending withdrawal) equals the sum paid by
        //    its Redeemed events and the escrow's redeemed() totals, and never exceeds what the client signed.
        foreach (var (key, ledger) in clients)
        {
            var client = Lower(key.Address);
            var state = audit["escrow"]![key.Address.ToString()] ?? audit["escrow"]!.AsObject().First(p => Lower(p.Key) == client).Value!;
            var pairs = state["pairs"]!.AsObject().ToDictionary(p => Lower(p.Key), p => (Redeemed: Big(p.Value!["redeemed"]), Lane: Big(p.Value["lane"])));
            var spend = Big(state["deposited"]) - Big(state["balance"]) - Big(state["pendingWithdrawal"]) - pairs.Values.Aggregate(BigInteger.Zero, (s, p) => s + p.Lane);
            var paidByEvents = redemptions.Where(r => r.Client == client).Aggregate(BigInteger.Zero, (s, r) => s + r.Paid);
            var redeemedTotal = pairs.Values.Aggregate(BigInteger.Zero, (s, p) => s + p.Redeemed);
            if (spend != paidByEvents || spend != redeemedTotal)
                violations.Add($"client {client}: escrow spend {spend} != Redeemed events {paidByEvents} or redeemed() total {redeemedTotal}");
            var signed = File.Exists(ledger) ? LedgerAudit.SignedByClient(ledger) : new Dictionary<string, BigInteger>();
            foreach (var (provider, pair) in pairs.Where(p => p.Value.Redeemed > 0))
            {
                if (pair.Redeemed > signed.GetValueOrDefault(provider))
                    violations.Add($"client {client} paid {provider} {pair.Redeemed}, more than it signed ({signed.GetValueOrDefault(provider)})");
            }
        }

        // 2. No voucher paid twice: per pair, nonces strictly increase, cumulative amounts never fall, and each payment is
        //    exactly the increase of the cumulative amount (so the sum of payments is the last cumulative amount), of which
        //    the protocol fee in force (floored) went to the reward pool.
        foreach (var pair in redemptions.GroupBy(r => (r.Client, r.Provider)))
        {
            var previous = (Nonce: BigInteger.Zero, Cumulative: BigInteger.Zero);
            foreach (var r in pair)
            {
                if (r.Nonce <= previous.Nonce || r.Cumulative < previous.Cumulative || r.Paid != r.Cumulative - previous.Cumulative)
                    violations.Add($"pair {pair.Key}: redemption nonce {r.Nonce} cumulative {r.Cumulative} paid {r.Paid} after nonce {previous.Nonce} cumulative {previous.Cumulative}");
                if (r.Fee != r.Paid * feeBps / 10_000)
                    violations.Add($"pair {pair.Key}: redemption nonce {r.Nonce} paid {r.Paid} took a fee of {r.Fee}, not the {feeBps} bps in force");
                previous = (r.Nonce, r.Cumulative);
            }
        }

        // 3. Every provider was paid at most what it charged for work (its ledger's charge total, which is what the receipts
        //    it signed add up to), plus at most one request's price per time it was stopped: a client pays for a request
        //    before the answer (docs/economics.md), so a request or session open whose provider died before recording it
        //    is carried by the client's next voucher to that provider. Nothing else may be paid beyond the work charged.
        //    At the end the provider holds no voucher it did not redeem (its best voucher is what the escrow paid it).
        foreach (var (key, ledger) in providers)
        {
            var provider = Lower(key.Address);
            var held = LedgerAudit.HeldByProvider(ledger);
            var largest = LedgerAudit.LargestVoucherCosts(ledger);
            var stops = stopsOf(provider);
            foreach (var (clientKey, clientLedger) in clients)
            {
                var client = Lower(clientKey.Address);
                var paid = redemptions.Where(r => r.Client == client && r.Provider == provider).Aggregate(BigInteger.Zero, (s, r) => s + r.Paid);
                var charged = held.TryGetValue(client, out var h) ? h.Charged : BigInteger.Zero;
                var excess = paid - charged;
                if (excess > stops * largest.GetValueOrDefault(client))
                    violations.Add($"provider {provider} was paid {paid} by {client}: {excess} beyond what it charged ({charged}), more than {stops} stop(s) × its largest request ({largest.GetValueOrDefault(client)})");
                else if (excess > 0)
                    say($"note: provider {provider} was paid {excess} wei by {client} beyond what it charged (work paid for but not recorded before one of its {stops} stop(s))");
                // A receipt is signed only for work charged: what the client holds cannot exceed the provider's charges.
                var receipts = File.Exists(clientLedger) ? LedgerAudit.ReceiptsHeldByClient(clientLedger).GetValueOrDefault(provider) : BigInteger.Zero;
                if (receipts > charged)
                    violations.Add($"client {client} holds receipts of {provider} for {receipts}, more than it charged ({charged})");
                if (held.TryGetValue(client, out var best) && best.Best != paid)
                    violations.Add($"provider {provider} holds a voucher of {best.Best} from {client} but was paid {paid}");
            }
        }

        // 4. The cheater is slashed (a WrongOutput proposal, jailed) and no honest provider is.
        var slashed = audit["slashProposed"]!.AsArray().Select(s => (Provider: Lower(s!["provider"]), Fault: (int)s["fault"]!)).ToList();
        var cheater = Lower(network.Cheater.Key.Address);
        if (!slashed.Any(s => s.Provider == cheater) || !(bool)audit["registry"]!.AsObject().First(p => Lower(p.Key) == cheater).Value!["jailed"]!)
            violations.Add($"the cheater {cheater} was not slashed and jailed (proposals: {string.Join(", ", slashed)})");
        foreach (var (key, _) in network.HonestProviders.Select(p => (p.Key, p.Ledger)))
        {
            var honest = Lower(key.Address);
            if (slashed.Any(s => s.Provider == honest) || (bool)audit["registry"]!.AsObject().First(p => Lower(p.Key) == honest).Value!["jailed"]!)
                violations.Add($"honest provider {honest} was slashed or jailed");
        }

        // 5. For every posted epoch: the claims (every leaf of the published proofs, claimed by the audit) plus the dust
        //    settlement left unallocated equal the pool, and what was carried over is that dust.
        var settled = LedgerAudit.SettledEpochs(Path.Combine(network.SettlementData, "settlement.db")).ToDictionary(e => e.Epoch);
        var epochs = audit["epochs"]!.AsArray();
        if (epochs.Count == 0) violations.Add("no epoch was posted");
        foreach (var epoch in epochs)
        {
            var number = (long)epoch!["epoch"]!;
            var (pool, total, claimed, carried) = (Big(epoch["pool"]), Big(epoch["total"]), Big(epoch["claimed"]), Big(epoch["carriedOver"]));
            if (!settled.TryGetValue(number, out var row))
            {
                violations.Add($"epoch {number} is posted on chain but not in settlement's store");
                continue;
            }
            if (claimed != total || claimed + row.Unallocated != pool || carried != row.Unallocated || row.Pool != pool)
                violations.Add($"epoch {number}: claimed {claimed} + unallocated {row.Unallocated} != pool {pool} (posted total {total}, carried over {carried}, settlement's pool {row.Pool})");
        }
        foreach (var error in audit["claimErrors"]!.AsArray()) violations.Add($"claim failed: {error}");

        // 6. Every generation completed with the local run's tokens (or went through the cheater) or failed with a clear
        //    error; none hung.
        foreach (var outcome in outcomes.Where(o => o.Kind is OutcomeKind.Differed or OutcomeKind.FailedUnclearly or OutcomeKind.Hung))
            violations.Add($"{outcome.Client} at {outcome.Started:HH:mm:ss}: {outcome.Kind} after {outcome.Elapsed.TotalSeconds:F0} s: {outcome.Detail}");
        if (!outcomes.Any(o => o.Kind == OutcomeKind.Identical)) violations.Add("no generation completed with the local run's tokens");

        foreach (var violation in violations) say("VIOLATION " + violation);
        Assert.True(violations.Count == 0, $"{violations.Count} invariant violation(s); first: {violations.FirstOrDefault()}");
    }

    private static string Lower(JsonNode? node) => node!.GetValue<string>().ToLowerInvariant();

    private static string Lower(Address address) => address.ToString().ToLowerInvariant();

    private static BigInteger Big(JsonNode? node) => BigInteger.Parse(node!.GetValue<string>(), CultureInfo.InvariantCulture);
}
