using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Peerz.Hosting;

/// <summary>Runs a service's host the way every Peerz executable does.</summary>
public static class PeerzHost
{
    /// <summary>
    /// Validates the options registered with ValidateOnStart first, so a bad setting surfaces as the
    /// <see cref="OptionsValidationException"/> that <see cref="CommandRunner"/> prints as one line, before the host logs its
    /// start-up failure with a stack trace; then runs the host until it stops or <paramref name="cancellationToken"/> fires.
    /// </summary>
    public static async Task RunAsync(IHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        using (host)
        {
            host.Services.GetService<IStartupValidator>()?.Validate();
            await host.RunAsync(cancellationToken);
        }
    }
}
