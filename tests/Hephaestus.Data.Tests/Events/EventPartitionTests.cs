using System.Diagnostics;
using System.Globalization;
using System.Text;
using Hephaestus.Data.Events;
using Hephaestus.Data.Learning;
using Hephaestus.Domain.Events;
using Hephaestus.Testing;

namespace Hephaestus.Data.Tests.Events;

/// <summary>Partitions made ahead, retention by whole days, several maintainers at once, and ingestion that maintenance never stalls.</summary>
public class EventPartitionTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    static readonly LearnerRecord Learning = new(new PlanCache());
    static DateOnly Today => DateOnly.FromDateTime(DateTime.UtcNow);

    static async Task<EventBatch> BatchAsync(Guid learner, int count, DateTimeOffset at)
    {
        var json = new StringBuilder("[");
        for (var i = 0; i < count; i++)
        {
            if (i > 0) json.Append(',');
            json.Append(CultureInfo.InvariantCulture, $$$"""{"learnerId":"{{{learner}}}","occurredAt":"{{{at.AddMilliseconds(i):O}}}","clientEventId":"{{{Guid.NewGuid()}}}","verb":"viewed","object":{"type":"page","id":"p{{{i}}}"}}""");
        }

        json.Append(']');
        var batch = await EventBatch.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(json.ToString())), EventBatchFormat.JsonArray, EventRetention.Default,
            DateTimeOffset.UtcNow, default);
        Assert.Empty(batch.Errors);
        return batch;
    }

    [Fact]
    public async Task Maintenance_makes_the_partitions_ahead_and_retention_drops_whole_old_days_with_their_events()
    {
        var learner = await db.CreateUserAsync($"r-{Guid.NewGuid():N}@events.test", "learner");
        var old = Today.AddDays(-20);
        await db.ScalarAsync<bool>("SELECT hephaestus.create_event_partition($1)", old);
        await db.ExecuteAsync("""
            INSERT INTO hephaestus.learning_events (learner_id, occurred_at, id, source, client_event_id, verb, object_type, object_id)
            VALUES ($1, $2, gen_random_uuid(), 'native', 'old', 'viewed', 'page', 'p')
            """, learner, old.ToDateTime(new TimeOnly(12, 0), DateTimeKind.Utc));

        var run = await EventPartitions.MaintainAsync(db.App, new EventRetention(RetentionDays: 10, MaxPastDays: 30, TimeSpan.FromMinutes(10), DaysAhead: 60),
            DateTimeOffset.UtcNow, default);

        Assert.False(run.Skipped);
        Assert.Contains(Today.AddDays(60), run.Created);
        Assert.Contains(old, run.Dropped);
        Assert.Empty(run.Deferred);
        var days = await EventPartitions.ListAsync(db.App, default);
        Assert.True(days.Min() >= Today.AddDays(-10), $"oldest partition {days.Min()}");
        Assert.Contains(Today, days);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.learning_events WHERE learner_id = $1", learner));
    }

    [Fact]
    public async Task As_the_owner_retention_detaches_concurrently_and_drops()
    {
        var old = Today.AddDays(-150);
        await db.ScalarAsync<bool>("SELECT hephaestus.create_event_partition($1)", old);
        var run = await EventPartitions.MaintainAsync(db.Owner, new EventRetention(120, 30, TimeSpan.FromMinutes(10), 3), DateTimeOffset.UtcNow, default);
        Assert.Contains(old, run.Dropped);
        Assert.DoesNotContain(old, await EventPartitions.ListAsync(db.Owner, default));
        Assert.Null(await db.ScalarAsync<string>("SELECT to_regclass('hephaestus.learning_events_p' || to_char($1::date, 'YYYYMMDD'))::text", old));
    }

    [Fact]
    public async Task Two_maintainers_at_once_neither_fail_nor_make_a_partition_twice()
    {
        var retention = EventRetention.Default with { DaysAhead = 12 };
        var runs = await Task.WhenAll(
            EventPartitions.MaintainAsync(db.App, retention, DateTimeOffset.UtcNow, default),
            EventPartitions.MaintainAsync(db.App, retention, DateTimeOffset.UtcNow, default),
            EventPartitions.MaintainAsync(db.App, retention, DateTimeOffset.UtcNow, default));
        var made = runs.SelectMany(r => r.Created).ToList();
        Assert.Equal(made.Distinct().Count(), made.Count);
        Assert.Contains(Today.AddDays(12), await EventPartitions.ListAsync(db.App, default));
    }

    [Fact]
    public async Task A_batch_whose_day_has_no_partition_makes_it_and_is_stored()
    {
        var learner = await db.CreateUserAsync($"m-{Guid.NewGuid():N}@events.test", "learner");
        var day = Today.AddDays(-25);
        await db.ScalarAsync<bool>("SELECT hephaestus.drop_event_partition($1)", day);
        Assert.DoesNotContain(day, await EventPartitions.ListAsync(db.App, default));
        var batch = await BatchAsync(learner, 3, new DateTimeOffset(day.ToDateTime(new TimeOnly(8, 0)), TimeSpan.Zero));

        var result = await EventStore.IngestAsync(db.App, Learning, new Actor(learner, ["learner"]), batch, default);

        Assert.Equal((IngestOutcome.Stored, 3, 0), (result.Outcome, result.Stored, result.Duplicates));
        Assert.Contains(day, await EventPartitions.ListAsync(db.App, default));
    }

    [Fact]
    public async Task Ingestion_goes_on_while_maintenance_makes_and_drops_partitions()
    {
        var learner = await db.CreateUserAsync($"i-{Guid.NewGuid():N}@events.test", "learner");
        var actor = new Actor(learner, ["learner"]);
        var stop = new CancellationTokenSource();
        var slowest = TimeSpan.Zero;
        var stored = 0;
        var ingest = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var batch = await BatchAsync(learner, 200, DateTimeOffset.UtcNow.AddSeconds(-1));
                var watch = Stopwatch.StartNew();
                var result = await EventStore.IngestAsync(db.App, Learning, actor, batch, default);
                if (watch.Elapsed > slowest) slowest = watch.Elapsed;
                stored += result.Stored;
            }
        });

        // Meanwhile: days made far ahead, and old days made and dropped again, over and over.
        for (var round = 0; round < 8; round++)
        {
            await EventPartitions.MaintainAsync(db.App, EventRetention.Default with { DaysAhead = 40 + round }, DateTimeOffset.UtcNow, default);
            var old = Today.AddDays(-100 - round);
            await db.ScalarAsync<bool>("SELECT hephaestus.create_event_partition($1)", old);
            var run = await EventPartitions.MaintainAsync(db.App, new EventRetention(60, 30, TimeSpan.FromMinutes(10), 3), DateTimeOffset.UtcNow, default);
            Assert.Contains(old, run.Dropped.Concat(run.Deferred));
        }

        await stop.CancelAsync();
        await ingest;
        Assert.True(stored >= 200, $"only {stored} events stored during maintenance");
        Assert.Equal((long)stored, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.learning_events WHERE learner_id = $1", learner));
        Assert.True(slowest < TimeSpan.FromSeconds(2), $"a batch waited {slowest} behind maintenance");
    }

    [Fact]
    public async Task A_drop_that_cannot_get_its_lock_is_deferred_without_stalling_ingestion()
    {
        var learner = await db.CreateUserAsync($"d-{Guid.NewGuid():N}@events.test", "learner");
        var old = Today.AddDays(-90);
        await db.ScalarAsync<bool>("SELECT hephaestus.create_event_partition($1)", old);

        // A long reader of the events holds ACCESS SHARE on learning_events: the drop's ACCESS EXCLUSIVE cannot be granted.
        await using var reader = await db.Owner.OpenConnectionAsync();
        await using var longRead = await reader.BeginTransactionAsync();
        await using (var read = new Npgsql.NpgsqlCommand("SELECT count(*) FROM hephaestus.learning_events", reader, longRead)) await read.ExecuteScalarAsync();

        var maintenance = EventPartitions.MaintainAsync(db.App, new EventRetention(60, 30, TimeSpan.FromMinutes(10), 3), DateTimeOffset.UtcNow, default);
        var slowest = TimeSpan.Zero;
        while (!maintenance.IsCompleted)
        {
            var batch = await BatchAsync(learner, 50, DateTimeOffset.UtcNow.AddSeconds(-1));
            var watch = Stopwatch.StartNew();
            Assert.Equal(IngestOutcome.Stored, (await EventStore.IngestAsync(db.App, Learning, new Actor(learner, ["learner"]), batch, default)).Outcome);
            if (watch.Elapsed > slowest) slowest = watch.Elapsed;
        }

        var run = await maintenance;
        Assert.Contains(old, run.Deferred);
        Assert.Contains(old, await EventPartitions.ListAsync(db.App, default));
        // An insert may queue behind one waiting drop attempt (200 ms at most), never behind the long reader.
        Assert.True(slowest < TimeSpan.FromSeconds(1), $"a batch waited {slowest}");
        await longRead.RollbackAsync();
    }
}
