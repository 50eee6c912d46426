namespace Peerz.Settlement.Contributions;

/// <summary>The reward roles, numbered as EpochRewards' Role enum (and the order of its weights).</summary>
public enum ContributionRole
{
    Inference = 0,
    Training = 1,
    Verification = 2,
    Routing = 3,
}
