using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Peerz.Hosting.Metrics;

/// <summary>
/// Where a component gets its <see cref="Meter"/> (from <see cref="IMeterFactory"/>), so that its instruments reach this
/// process's /metrics. OpenTelemetry listens to meters by name across the whole process; tests run several gateways and
/// providers in one process, so each scope names its meters under a prefix of its own and its exporter listens to that
/// prefix only (the meter name never shows in the exposition). The exporter is built first, so the zeros components
/// record when they start are not lost.
/// </summary>
public sealed class PeerzMeters
{
    private readonly IMeterFactory _factory;

    private PeerzMeters(IMeterFactory factory, string prefix)
    {
        _factory = factory;
        Prefix = prefix;
    }

    internal PeerzMeters(IMeterFactory factory, string prefix, MeterProvider exporter) : this(factory, prefix) => Exporter = exporter;

    /// <summary>Meters of components no exporter reads (e.g. a served span that a test builds without a host).</summary>
    public static PeerzMeters Unexported { get; } = new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>(), NewPrefix());

    internal string Prefix { get; }

    /// <summary>The meter provider with the Prometheus exporter that serves these meters (none for <see cref="Unexported"/>).</summary>
    internal MeterProvider? Exporter { get; }

    /// <summary>The meter of one component (e.g. "Gateway"); asking again for the same component gives the same meter.</summary>
    public Meter Create(string component) => _factory.Create($"{Prefix}.{component}");

    internal static string NewPrefix() => $"Peerz.{Guid.NewGuid():N}";
}
