using Hephaestus.Data.Events;
using Npgsql;

namespace Hephaestus.Server.Hosting;

/// <summary>
/// Keeps the events' partitions ahead of time and applies retention: once at start, then every
/// <see cref="EventOptions.MaintenanceInterval"/>. Several instances may run it; one does the work per round (the others
/// find the advisory lock taken and skip). A failed round is logged and the next one tries again.
/// </summary>
// The data source is resolved when the service runs, not when it is built: hosted services are all constructed before
// any starts, and the data source exists only once DatabaseLifetime has opened the endpoint.
public sealed partial class EventMaintenanceService(IServiceProvider services, IConfiguration configuration, EventOptions options, ILogger<EventMaintenanceService> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.MaintenanceInterval <= TimeSpan.Zero) return;
        var db = services.GetRequiredService<NpgsqlDataSource>();
        var pooled = DatabaseHosting.BehindTransactionPooler(configuration);
        using var timer = new PeriodicTimer(options.MaintenanceInterval);
        do
        {
            try
            {
                var run = await EventPartitions.MaintainAsync(db, options.Retention, DateTimeOffset.UtcNow, stoppingToken, transactionScoped: pooled);
                if (run.Created.Count + run.Dropped.Count + run.Deferred.Count > 0) Maintained(run.Created.Count, run.Dropped.Count, run.Deferred.Count);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                Failed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Event partitions: {Created} made, {Dropped} dropped by retention, {Deferred} drops deferred (lock busy)")]
    partial void Maintained(int created, int dropped, int deferred);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event partition maintenance failed; the next round retries")]
    partial void Failed(Exception exception);
}
