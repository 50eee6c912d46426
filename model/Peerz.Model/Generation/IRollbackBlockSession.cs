namespace Peerz.Model.Generation;

/// <summary>
/// A block session whose KV caches can be cut back to an earlier position: what speculative decoding needs to
/// drop the positions of rejected draft tokens. After <see cref="Rollback"/>(p) the session behaves exactly
/// like a fresh one fed only positions [0, p); the next step starts at p.
/// </summary>
public interface IRollbackBlockSession : IBlockSession
{
    /// <summary>Positions the session holds (the next step starts here).</summary>
    int Position { get; }

    /// <summary>Drops positions [position, Position). Throws <see cref="ArgumentOutOfRangeException"/> outside [0, Position].</summary>
    void Rollback(int position);
}
