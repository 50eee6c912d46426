using System.Numerics;
using Peerz.Chain.Crypto;
using Peerz.Client.Payments;
using Peerz.Model;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;
using Peerz.Node.Protocols;
using Peerz.Protocol.Payments;
using Peerz.Protocol.Wire;
using Peerz.Testing.Chain;

namespace Peerz.Integration.Tests.Payments;

/// <summary>
/// Issue 22 #7 and #3 on the provider: /peerz/payload answers only signed requests from the session's paying client
/// or a VERIFIER_ROLE holder, with a fresh timestamp, in bounded chunks; and the retention window is in the provider's info.
/// </summary>
[Trait("Category", "Chain")]
public sealed class PayloadAccessTests(TinyModelFixture model, PeerzDevnet devnet) : IClassFixture<TinyModelFixture>, IClassFixture<PeerzDevnet>, IAsyncDisposable
{
    private static readonly BigInteger Price = 1_000_000_000_000;
    private readonly PaidSwarm _swarm = PaidSwarm.InTemporaryDirectory(devnet, "payload-access");

    public ValueTask DisposeAsync() => _swarm.DisposeAsync();

    [Fact]
    public async Task Only_the_sessions_client_and_verifiers_read_its_payload_in_chunks()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var local = LocalModel.Load(model.Directory);
        // Small answers (about two steps each) so that one session needs several.
        var host = await _swarm.StartProviderAsync(checkpoint, 0, 4, await devnet.NewFundedAccountAsync(), Price, [], 100 * PeerzDevnet.Prz, payloadAnswerBytes: 4096);
        var client = await devnet.NewFundedAccountAsync();
        await devnet.Token(client).ApproveAsync(devnet.Deployment.Escrow, PeerzDevnet.Prz);
        await devnet.Escrow(client).DepositAsync(PeerzDevnet.Prz);
        var (swarm, payments) = await _swarm.ConnectClientAsync(client, host.Node.ListenAddresses);
        var receipts = new List<PaymentRecord>();
        payments.Paid += receipts.Add;
        await new TextGenerator(local.Head, PaidSwarm.Pipeline(swarm, payments, 4)).GenerateAsync([1, 17, 42, 99], new GenerationOptions { MaxNewTokens = 8 }).ToListAsync();
        var last = receipts[^1].Receipt.Receipt;
        Assert.Equal(7UL, last.Step);

        async Task<PayloadResponse> FetchAsync(EthKey signer, ulong fromStep, DateTimeOffset? at = null, Address? claimed = null)
        {
            var request = new PayloadAccess(last.SessionId, last.Step, fromStep, (ulong)(at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds())
                .ToSignedRequest(signer, devnet.Deployment.ChainId, devnet.Deployment.Registry);
            if (claimed is { } requester) request.Requester = Google.Protobuf.ByteString.CopyFrom(requester.Bytes);
            return await ProviderCalls.CallAsync(swarm, host, PeerzProtocolIds.Payload, request, PayloadResponse.Parser);
        }

        // A stranger, a stale request, and a stranger claiming to be the client are all refused.
        var stranger = EthKey.Generate();
        Assert.Equal(ErrorCode.PermissionDenied, (await FetchAsync(stranger, 0)).Error?.Code);
        Assert.Equal(ErrorCode.PermissionDenied, (await FetchAsync(client, 0, DateTimeOffset.UtcNow.AddMinutes(-10))).Error?.Code);
        Assert.Equal(ErrorCode.PermissionDenied, (await FetchAsync(stranger, 0, claimed: client.Address)).Error?.Code);

        // The client and a verifier (the devnet's deployer holds VERIFIER_ROLE) get every step, in several answers.
        foreach (var reader in new[] { client, devnet.Deployer })
        {
            var steps = new List<StepPayload>();
            var answers = 0;
            for (ulong from = 0; ;)
            {
                answers++;
                var response = await FetchAsync(reader, from);
                Assert.Null(response.Error);
                Assert.NotEmpty(response.Steps.Steps);
                Assert.True(response.Steps.Steps.Sum(s => s.Input.Length + s.Output.Length + s.Receipt.CalculateSize()) <= 4096 || response.Steps.Steps.Count == 1);
                steps.AddRange(response.Steps.Steps);
                if (!response.Steps.More) break;
                from = steps[^1].Receipt.Step + 1;
            }
            Assert.True(answers >= 2, $"{answers} answer(s)");
            Assert.Equal(Enumerable.Range(0, 8).Select(i => (ulong)i), steps.Select(s => s.Receipt.Step));
            Assert.All(steps.Zip(receipts), pair => Assert.Equal(pair.Second.Receipt.ToWire(), pair.First.Receipt));
        }

        // Verifiers and settlement read the retention window from the provider's info.
        var info = await ProviderCalls.CallAsync(swarm, host, PeerzProtocolIds.Info, new InfoRequest(), ServerInfo.Parser);
        Assert.Equal(3600UL, info.PayloadRetentionSeconds);
    }
}
