using System.CommandLine;
using Microsoft.Extensions.Options;

namespace Peerz.Hosting;

/// <summary>
/// Runs a command line: user mistakes (including settings refused by a host's start-up validation) print one "error:" line and exit 1;
/// Ctrl-C exits 130.
/// </summary>
public static class CommandRunner
{
    public static async Task<int> RunAsync(RootCommand root, string[] args, Func<Exception, bool>? isUserError = null)
    {
        try
        {
            return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is UserErrorException or OptionsValidationException || isUserError?.Invoke(e) == true)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
    }
}
