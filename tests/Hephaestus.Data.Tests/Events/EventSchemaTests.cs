using Hephaestus.Testing;
using Npgsql;

namespace Hephaestus.Data.Tests.Events;

/// <summary>Migration 20261202010000_Events: the partitioned store, its policies and its partition doors.</summary>
public class EventSchemaTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    static DateTime TodayUtc => DateTime.UtcNow.Date;

    static async Task<int> InsertAsync(ActorScope scope, Guid learner, DateTime occurredAt, string clientEventId)
    {
        await using var command = scope.Command("""
            INSERT INTO hephaestus.learning_events (learner_id, occurred_at, id, source, client_event_id, verb, object_type, object_id)
            VALUES ($1, $2, $3, 'native', $4, 'viewed', 'page', 'p1')
            ON CONFLICT (learner_id, client_event_id, occurred_at) WHERE client_event_id IS NOT NULL DO NOTHING
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = learner });
        command.Parameters.Add(new NpgsqlParameter { Value = occurredAt });
        command.Parameters.Add(new NpgsqlParameter { Value = Guid.CreateVersion7() });
        command.Parameters.Add(new NpgsqlParameter { Value = clientEventId });
        return await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Migrating_makes_partitions_for_today_the_past_month_and_days_ahead()
    {
        var days = new List<DateTime>();
        await using (var command = db.Owner.CreateCommand("SELECT day FROM hephaestus.event_partitions()"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) days.Add(reader.GetDateTime(0));
        }

        Assert.Contains(TodayUtc, days);
        Assert.Contains(TodayUtc.AddDays(3), days);
        Assert.Contains(TodayUtc.AddDays(-30), days);
        Assert.Equal(days.Order(), days);
    }

    [Fact]
    public async Task A_learner_writes_and_reads_only_their_own_events_and_a_client_event_id_is_stored_once()
    {
        var learner = await db.CreateUserAsync($"l-{Guid.NewGuid():N}@events.test", "learner");
        var other = await db.CreateUserAsync($"o-{Guid.NewGuid():N}@events.test", "learner");
        var at = DateTime.UtcNow.AddMinutes(-1);
        await using (var scope = await ActorScope.BeginAsync(db.App, new Actor(learner, ["learner"]), default))
        {
            Assert.Equal(1, await InsertAsync(scope, learner, at, "e1"));
            Assert.Equal(0, await InsertAsync(scope, learner, at, "e1"));
            await scope.CommitAsync(default);
        }

        await using (var scope = await ActorScope.BeginAsync(db.App, new Actor(learner, ["learner"]), default))
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => InsertAsync(scope, other, at, "e1"));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }

        await using (var scope = await ActorScope.BeginAsync(db.App, new Actor(learner, ["learner"]), default))
        {
            await using var count = scope.Command("SELECT count(*) FROM hephaestus.learning_events");
            Assert.Equal(1L, (long)(await count.ExecuteScalarAsync())!);
        }

        await using (var scope = await ActorScope.BeginAsync(db.App, new Actor(other, ["learner"]), default))
        {
            await using var count = scope.Command("SELECT count(*) FROM hephaestus.learning_events");
            Assert.Equal(0L, (long)(await count.ExecuteScalarAsync())!);
        }
    }

    [Fact]
    public async Task The_application_role_reaches_partitions_only_through_the_policies_and_never_changes_events()
    {
        var partition = "learning_events_p" + TodayUtc.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await db.AppRefusalAsync($"SELECT * FROM hephaestus.{partition}"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await db.AppRefusalAsync("DELETE FROM hephaestus.learning_events"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await db.AppRefusalAsync("UPDATE hephaestus.learning_events SET verb = 'x'"));
    }

    [Fact]
    public async Task Partition_doors_make_a_day_once_and_refuse_to_drop_a_recent_one()
    {
        var day = TodayUtc.AddDays(40);
        Assert.True(await db.ScalarAsync<bool>("SELECT hephaestus.create_event_partition($1::date)", day));
        Assert.False(await db.ScalarAsync<bool>("SELECT hephaestus.create_event_partition($1::date)", day));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => db.ScalarAsync<bool>("SELECT hephaestus.drop_event_partition($1::date)", TodayUtc));
        Assert.Equal(PostgresErrorCodes.InvalidParameterValue, refused.SqlState);

        var old = TodayUtc.AddDays(-60);
        Assert.True(await db.ScalarAsync<bool>("SELECT hephaestus.create_event_partition($1::date)", old));
        Assert.True(await db.ScalarAsync<bool>("SELECT hephaestus.drop_event_partition($1::date)", old));
        Assert.False(await db.ScalarAsync<bool>("SELECT hephaestus.drop_event_partition($1::date)", old));
    }

    [Fact]
    public async Task Erasing_a_user_deletes_their_events()
    {
        var learner = await db.CreateUserAsync($"e-{Guid.NewGuid():N}@events.test", "learner");
        await using (var scope = await ActorScope.BeginAsync(db.App, new Actor(learner, ["learner"]), default))
        {
            await InsertAsync(scope, learner, DateTime.UtcNow, "gone");
            await scope.CommitAsync(default);
        }

        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.learning_events WHERE learner_id = $1", learner));
        await db.ExecuteAsync("DELETE FROM hephaestus.users WHERE id = $1", learner);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.learning_events WHERE learner_id = $1", learner));
    }
}
