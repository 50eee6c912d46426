using System.CommandLine;
using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Hosting;
using Peerz.Hosting.Chain;
using Peerz.Settlement.Http;
using Peerz.Settlement.Rewards;

namespace Peerz.Cli.Commands;

/// <summary>`peerz claim [--epoch N] --proofs URL|FILE`: fetch the account's Merkle proof and claim the epoch reward on chain.</summary>
public static class ClaimCommand
{
    public static Command Create(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var chain = new ChainCommandOptions();
        var epochOption = new Option<long?>("--epoch") { Description = "Epoch to claim (default: the latest posted epoch)" };
        var proofs = new Option<string?>("--proofs") { Description = "Settlement API base URL (http://…) or a published epoch-N.json file" };
        var accountOption = new Option<string?>("--account") { Description = "Account to claim for (default: the keystore's; the reward always goes to the account)" };
        var command = new Command("claim", "Claim an epoch's reward with its Merkle proof") { epochOption, proofs, accountOption };
        chain.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var settings = settingsFor(result.GetValue(config));
            var source = settings.Get(result, proofs) ?? throw new UserErrorException("give --proofs: the settlement URL or an epoch-N.json file");
            using var connection = await chain.ConnectAsync(settings, result, ct);
            var account = settings.Get(result, accountOption) is { } text ? ChainCommandOptions.ParseAddress(text, "--account") : connection.Account!.Address;
            var epoch = settings.Get(result, epochOption) ?? ((long)await connection.Rewards.NextEpochToPostAsync(ct) - 1);
            if (epoch < 0) throw new UserErrorException("no epoch has been settled yet");
            if (await connection.Rewards.IsClaimedAsync(epoch, account, RewardRole.Inference /* TODO(settlement helper): per-role claims */, ct)) throw new UserErrorException($"{account} already claimed epoch {epoch}");

            var proof = await FetchAsync(source, epoch, account, ct);
            (Address Account, BigInteger Amount, IReadOnlyList<byte[]> Proof) parsed;
            try
            {
                parsed = proof.Parse();
            }
            catch (FormatException e)
            {
                throw new UserErrorException($"the proof from {source} is malformed: {e.Message}");
            }

            if (parsed.Account != account) throw new UserErrorException($"the proof from {source} is for {parsed.Account}, not {account}");
            var receipt = await ChainCommandOptions.SendAsync("claim", () => connection.Rewards.ClaimAsync(epoch, account, RewardRole.Inference /* TODO(settlement helper): per-role claims */, parsed.Amount, parsed.Proof, ct));
            Console.WriteLine($"claimed {PrzAmount.Format(parsed.Amount)} PRZ for {account}, epoch {epoch} (tx {Hex.Encode(receipt.TransactionHash)})");
        });
        return command;
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
