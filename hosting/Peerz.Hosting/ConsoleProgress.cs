namespace Peerz.Hosting;

/// <summary>
/// Progress for long work on stderr ("loading blocks 3/8"), updated in place on a terminal and
/// reported synchronously, in order (unlike Progress&lt;T&gt;, which posts to the thread pool).
/// </summary>
public sealed class ConsoleProgress(string label, int total, TextWriter? output = null) : IProgress<int>
{
    private readonly TextWriter _output = output ?? Console.Error;

    public void Report(int value)
    {
        var line = $"{label} {value}/{total}";
        if (Console.IsErrorRedirected) _output.WriteLine(line);
        else _output.Write(value >= total ? $"\r{line}\n" : $"\r{line}");
    }
}
