namespace Peerz.Client.Training;

/// <summary>Rows [FirstRow, FirstRow + Rows) of a batch, served by one provider on blocks [Start, End).</summary>
public sealed record TrainingShare(string Direction, int Start, int End, string PeerId, int FirstRow, int Rows);
