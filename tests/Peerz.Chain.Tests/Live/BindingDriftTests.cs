using Peerz.Chain.Abi;
using Peerz.Chain.Contracts;
using Peerz.Chain.Tests.Support;
using Peerz.Testing.Chain;

namespace Peerz.Chain.Tests.Live;

/// <summary>Every function, event and error a binding declares must exist, identically, in the compiled artifact.</summary>
[Collection(HardhatCollection.Name)]
[Trait("Category", "Chain")]
public sealed class BindingDriftTests
{
    public static TheoryData<string> Contracts() => new() { "PeerzToken", "ProviderRegistry", "PaymentEscrow", "EpochRewards", "governance/PeerzGovernor" };

    [Theory]
    [MemberData(nameof(Contracts))]
    public void Binding_matches_the_artifact_abi(string name)
    {
        var artifact = HardhatNode.Artifact(name);
        var (functions, events, errors) = name switch
        {
            "PeerzToken" => (PeerzToken.Functions, PeerzToken.EventDefinitions, PeerzToken.ErrorDefinitions),
            "ProviderRegistry" => (ProviderRegistry.Functions, ProviderRegistry.EventDefinitions, ProviderRegistry.ErrorDefinitions),
            "PaymentEscrow" => (PaymentEscrow.Functions, PaymentEscrow.EventDefinitions, PaymentEscrow.ErrorDefinitions),
            "governance/PeerzGovernor" => (PeerzGovernor.Functions, PeerzGovernor.EventDefinitions, PeerzGovernor.ErrorDefinitions),
            _ => (EpochRewards.Functions, EpochRewards.EventDefinitions, EpochRewards.ErrorDefinitions),
        };

        foreach (var function in functions)
        {
            var match = artifact.Functions.SingleOrDefault(f => f.Signature == function.Signature);
            Assert.True(match is not null, $"{name}.{function.Signature} is not in the artifact");
            Assert.Equal(Outputs(match!), Outputs(function));
        }

        foreach (var abiEvent in events)
        {
            var match = artifact.Events.SingleOrDefault(e => e.Signature == abiEvent.Signature);
            Assert.True(match is not null, $"event {name}.{abiEvent.Signature} is not in the artifact");
            Assert.Equal(match!.Inputs.Select(p => p.Indexed), abiEvent.Inputs.Select(p => p.Indexed));
        }

        foreach (var error in errors)
        {
            Assert.True(artifact.Errors.Any(e => e.Signature == error.Signature), $"error {name}.{error.Signature} is not in the artifact");
        }
    }

    private static string Outputs(AbiFunction function) => string.Join(",", function.Outputs.Select(p => p.Type.CanonicalName));
}
