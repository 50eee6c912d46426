using System.CommandLine;
using System.Globalization;
using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Hosting;
using Peerz.Hosting.Chain;
using Peerz.Settlement.Http;
using Peerz.Settlement.Rewards;

namespace Peerz.Cli.Commands;

/// <summary>
/// `peerz claim [--epoch N] --proofs URL|FILE [--wait]`: fetch the account's Merkle proofs and claim the epoch's
/// reward on chain, one claim per role the account earned in (EpochRewards has one leaf per account and role),
/// skipping roles already claimed. Claims open only after the root's challenge period (ClaimsOpenAt): without
/// --wait the command says when; with it, it waits until then.
/// </summary>
public static class ClaimCommand
{
    public static Command Create(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var chain = new ChainCommandOptions();
        var epochOption = new Option<long?>("--epoch") { Description = "Epoch to claim (default: the latest posted epoch)" };
        var proofs = new Option<string?>("--proofs") { Description = "Settlement API base URL (http://…) or a published epoch-N.json file" };
        var accountOption = new Option<string?>("--account") { Description = "Account to claim for (default: the keystore's; the reward always goes to the account)" };
        var wait = new Option<bool>("--wait") { Description = "If claims are not open yet (the root's challenge period), wait for them instead of stopping" };
        var command = new Command("claim", "Claim an epoch's reward, every role the account earned in, with its Merkle proofs") { epochOption, proofs, accountOption, wait };
        chain.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var settings = settingsFor(result.GetValue(config));
            var source = settings.Get(result, proofs) ?? throw new UserErrorException("give --proofs: the settlement URL or an epoch-N.json file");
            using var connection = await chain.ConnectAsync(settings, result, ct);
            var account = settings.Get(result, accountOption) is { } text ? ChainCommandOptions.ParseAddress(text, "--account") : connection.Account!.Address;
            var epoch = settings.Get(result, epochOption) ?? ((long)await connection.Rewards.NextEpochToPostAsync(ct) - 1);
            if (epoch < 0) throw new UserErrorException("no epoch has been settled yet");

            var proof = await FetchAsync(source, epoch, account, ct);
            (Address Account, IReadOnlyList<(RewardRole Role, BigInteger Amount, IReadOnlyList<byte[]> Proof)> Claims) parsed;
            try
            {
                parsed = proof.Parse();
            }
            catch (FormatException e)
            {
                throw new UserErrorException($"the proof from {source} is malformed: {e.Message}");
            }

            if (parsed.Account != account) throw new UserErrorException($"the proof from {source} is for {parsed.Account}, not {account}");
            var open = new List<(RewardRole Role, BigInteger Amount, IReadOnlyList<byte[]> Proof)>();
            foreach (var claim in parsed.Claims)
            {
                if (await connection.Rewards.IsClaimedAsync(epoch, account, claim.Role, ct)) Console.WriteLine($"{RoleClaim.NameOf(claim.Role)}: already claimed");
                else open.Add(claim);
            }

            if (open.Count == 0) throw new UserErrorException($"{account} already claimed epoch {epoch}");
            await WaitForClaimsAsync(connection, epoch, settings.Get(result, wait), ct);
            foreach (var (role, amount, roleProof) in open)
            {
                var receipt = await ChainCommandOptions.SendAsync($"claim ({RoleClaim.NameOf(role)})", () => connection.Rewards.ClaimAsync(epoch, account, role, amount, roleProof, ct));
                Console.WriteLine($"claimed {PrzAmount.Format(amount)} PRZ for {account}, epoch {epoch}, {RoleClaim.NameOf(role)} (tx {Hex.Encode(receipt.TransactionHash)})");
            }
        });
        return command;
    }

    /// <summary>Returns once the epoch's claims are open by chain time; before that, stops with the opening time or (<paramref name="wait"/>) waits.</summary>
    private static async Task WaitForClaimsAsync(ChainConnection connection, long epoch, bool wait, CancellationToken ct)
    {
        var opensAt = await connection.Rewards.ClaimsOpenAtAsync(epoch, ct);
        var now = await connection.Rpc.BlockTimestampAsync(null, ct);
        if (now >= opensAt) return;
        var remaining = TimeSpan.FromSeconds(opensAt - now);
        var when = DateTimeOffset.FromUnixTimeSeconds((long)opensAt).ToString("u", CultureInfo.InvariantCulture);
        if (!wait) throw new UserErrorException($"claims for epoch {epoch} are not open yet: they open at {when} (chain time, in {remaining}), after the root's challenge period; run again then, or pass --wait");
        Console.WriteLine($"claims for epoch {epoch} open at {when} (chain time); waiting {remaining} ...");
        // The next block after this wait is stamped at least opensAt on a chain whose clock follows real time.
        await Task.Delay(remaining + TimeSpan.FromSeconds(1), ct);
    }

    private static async Task<ClaimProof> FetchAsync(string source, long epoch, Address account, CancellationToken ct)
    {
        if (Uri.TryCreate(source, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps))
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            try
            {
                return await new SettlementClient(http, url).GetProofAsync(epoch, account, ct);
            }
            catch (SettlementException e)
            {
                throw new UserErrorException($"settlement at {url} has no proof: {e.Message}");
            }
            catch (HttpRequestException e)
            {
                throw new UserErrorException($"cannot reach settlement at {url}: {e.Message}");
            }
        }

        EpochProofsFile file;
        try
        {
            file = await EpochProofsFile.ReadAsync(source, ct);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            throw new UserErrorException($"cannot read proofs file {source}: {e.Message}");
        }

        if (file.Epoch != epoch) throw new UserErrorException($"{source} holds the proofs of epoch {file.Epoch}, not {epoch}");
        return file.ProofOf(account.ToString()) ?? throw new UserErrorException($"{account} has no reward in epoch {epoch}");
    }
}
