using Hephaestus.Data;
using Hephaestus.Data.Analytics;
using Hephaestus.Domain;
using Npgsql;

namespace Hephaestus.Server.Hosting;

public static class AnalyticsHosting
{
    /// <summary>
    /// The analytics data source (docs/architecture.md, "Analytics"): reads go to ConnectionStrings:Analytics, a standby
    /// of the primary (a managed read replica, or any streaming replica), or, without one, to the replica the embedded
    /// default started with Embedded:Replica=true; with neither, to the primary. Analytics: settings say how small a
    /// group is suppressed and when the replica is not used (docs/operations.md).
    /// </summary>
    public static IHostApplicationBuilder AddHephaestusAnalytics(this IHostApplicationBuilder builder)
    {
        var options = Options(builder.Configuration);
        builder.Services.AddSingleton(sp =>
        {
            var endpoint = sp.GetRequiredService<DatabaseEndpoint>();
            var configured = builder.Configuration.GetConnectionString("Analytics");
            var replicaConnection = string.IsNullOrWhiteSpace(configured) ? endpoint.ReplicaConnectionString : configured;
            NpgsqlDataSource? replica = null;
            if (replicaConnection is not null)
            {
                replica = HephaestusDatabase.CreateDataSource(replicaConnection, DatabaseHosting.InteractiveLimits(builder.Configuration));
                if (endpoint.ReplicaSupervisor is { } supervisor) supervisor.Restarted += replica.Clear;
            }

            return new AnalyticsSource(sp.GetRequiredService<NpgsqlDataSource>(), replica, options);
        });
        return builder;
    }

    /// <summary>The Analytics: section, checked at start: a wrong value stops the service with a message, not a request later.</summary>
    public static AnalyticsOptions Options(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var defaults = new AnalyticsOptions();
        var minimum = configuration.GetValue("Analytics:MinimumGroupSize", defaults.MinimumGroupSize);
        var maxLag = configuration.GetValue("Analytics:MaxReplicaLagSeconds", defaults.MaxReplicaLagSeconds);
        var when = configuration["Analytics:WhenReplicaUnavailable"];
        if (minimum < 1) throw new InvalidOperationException($"Analytics:MinimumGroupSize must be at least 1 (it is {minimum}).");
        if (!(maxLag > 0)) throw new InvalidOperationException($"Analytics:MaxReplicaLagSeconds must be more than 0 (it is {maxLag}).");
        var policy = defaults.WhenReplicaUnavailable;
        if (when is not null && !WireNames<ReplicaUnavailable>.TryParse(when.Trim().ToLowerInvariant(), out policy))
        {
            throw new InvalidOperationException(
                $"Analytics:WhenReplicaUnavailable must be one of {string.Join(", ", WireNames<ReplicaUnavailable>.All)} (it is '{when}').");
        }

        return new AnalyticsOptions { MinimumGroupSize = minimum, MaxReplicaLagSeconds = maxLag, WhenReplicaUnavailable = policy };
    }
}
