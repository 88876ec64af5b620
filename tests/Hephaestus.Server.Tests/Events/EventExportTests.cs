using Hephaestus.Data.Events;
using Hephaestus.Storage;
using Hephaestus.Testing;
using Parquet;

namespace Hephaestus.Server.Tests.Events;

/// <summary>
/// The Parquet export (issue 11, part 6) against both object stores: every file read back equals the table row for row,
/// a run interrupted after some files resumes without skipping or repeating a row, and an event stored late for a day
/// exported already goes out with the next run (also while its transaction is still open when the export starts).
/// </summary>
public class EventExportTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    sealed class Interrupted : Exception;

    /// <summary>Events of three learners over two past days (some with results and scores), as the owner writes them.</summary>
    async Task<(DateOnly First, DateOnly Second)> EventsAsync(int perDay)
    {
        await db.ExecuteAsync("TRUNCATE hephaestus.event_exports");
        await db.ExecuteAsync("DELETE FROM hephaestus.learning_events");
        var learners = new List<Guid>();
        for (var i = 0; i < 3; i++) learners.Add(await db.CreateUserAsync($"export-{Guid.NewGuid():N}@example.org", "learner"));
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var (first, second) = (today.AddDays(-2), today.AddDays(-1));
        foreach (var day in new[] { first, second })
        {
            await db.ExecuteAsync("""
                INSERT INTO hephaestus.learning_events (learner_id, occurred_at, id, source, client_event_id, verb, object_type, object_id, result, context,
                                                        score_scaled, duration_ms)
                SELECT ($1::uuid[])[1 + n % 3], $2::date + make_interval(secs => n * 86399.0 / $3), gen_random_uuid(), 'native', 'c-' || n, 'answered',
                       'question', 'q-' || (n % 7),
                       CASE WHEN n % 2 = 0 THEN jsonb_build_object('score', jsonb_build_object('scaled', (n % 10) / 10.0)) END,
                       CASE WHEN n % 3 = 0 THEN '{"device": "tablet"}'::jsonb END,
                       CASE WHEN n % 2 = 0 THEN (n % 10) / 10.0 END, CASE WHEN n % 5 = 0 THEN n * 10 END
                FROM generate_series(0, $3 - 1) n
                """, learners.ToArray(), day.ToDateTime(TimeOnly.MinValue), perDay);
        }

        return (first, second);
    }

    /// <summary>Every row of every exported file, in file order, as text.</summary>
    static async Task<List<string>> ReadBackAsync(INamedObjects store, string prefix)
    {
        var rows = new List<string>();
        foreach (var name in await store.ListNamedAsync(prefix, Ct))
        {
            var copy = new MemoryStream();
            await using (var body = await store.OpenNamedAsync(name, Ct)) await body!.CopyToAsync(copy, Ct);
            copy.Position = 0;
            await using var reader = await ParquetReader.CreateAsync(copy, cancellationToken: Ct);
            var fields = reader.Schema.GetDataFields();
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var count = (int)group.RowCount;
                var columns = new List<string?[]>();
                foreach (var field in fields)
                {
                    if (field.Name is not ("occurred_at" or "stored_at" or "score_scaled" or "duration_ms"))
                    {
                        var values = new string?[count];
                        await group.ReadAsync(field, values.AsMemory(), null, Ct);
                        columns.Add(values);
                    }
                    else if (field.Name is "occurred_at" or "stored_at")
                    {
                        var values = new DateTime[count];
                        await group.ReadAsync(field, values.AsMemory(), null, Ct);
                        columns.Add([.. values.Select(v => DateTime.SpecifyKind(v.Kind == DateTimeKind.Local ? v.ToUniversalTime() : v, DateTimeKind.Utc)
                            .ToString("O", System.Globalization.CultureInfo.InvariantCulture))]);
                    }
                    else if (field.Name == "score_scaled")
                    {
                        var values = new double?[count];
                        await group.ReadAsync(field, values.AsMemory(), null, Ct);
                        columns.Add([.. values.Select(v => v?.ToString("R", System.Globalization.CultureInfo.InvariantCulture))]);
                    }
                    else
                    {
                        var values = new long?[count];
                        await group.ReadAsync(field, values.AsMemory(), null, Ct);
                        columns.Add([.. values.Select(v => v?.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
                    }
                }

                for (var r = 0; r < count; r++) rows.Add(string.Join("|", columns.Select(c => c[r] ?? "∅")));
            }
        }

        return rows;
    }

    /// <summary>The same rows from the table, in the export's order (per day, as stored) and text.</summary>
    async Task<List<string>> TableAsync()
    {
        var rows = new List<string>();
        await using var command = db.Owner.CreateCommand("""
            SELECT learner_id::text, occurred_at, id::text, stored_at, source, client_event_id, verb, object_type, object_id, result::text, context::text,
                   score_scaled, duration_ms
            FROM hephaestus.learning_events WHERE occurred_at < date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
            ORDER BY date_trunc('day', occurred_at AT TIME ZONE 'UTC'), stored_at, learner_id, occurred_at, id
            """);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            string? Time(int i) => reader.GetFieldValue<DateTime>(i).ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            rows.Add(string.Join("|", new[]
            {
                Text(0), Time(1), Text(2), Time(3), Text(4), Text(5), Text(6), Text(7), Text(8), Text(9), Text(10),
                reader.IsDBNull(11) ? null : reader.GetDouble(11).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                reader.IsDBNull(12) ? null : reader.GetInt64(12).ToString(System.Globalization.CultureInfo.InvariantCulture),
            }.Select(v => v ?? "∅")));
        }

        return rows;
    }

    async Task Export_interrupted_then_resumed_reads_back_equal_to_the_table(INamedObjects store)
    {
        await EventsAsync(perDay: 2_500);
        var until = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
        var options = new EventExportOptions("lake/events", RowGroupRows: 300, FileRows: 1_000);
        var work = Path.Combine(Path.GetTempPath(), "hephaestus-export-test", Guid.NewGuid().ToString("N"));
        PublishObject publish = async (name, body, ct) => await store.PutNamedAsync(name, body, ct);

        // Interrupted after the fourth file is recorded (the second day's first), then once more between a file's
        // upload and its record: the rewritten name must hold the same rows, not a second copy.
        var files = 0;
        await Assert.ThrowsAsync<Interrupted>(() => EventExport.RunAsync(db.Owner, publish, until, null, options, work, Ct,
            (_, _) => ++files == 4 ? throw new Interrupted() : Task.CompletedTask));
        Assert.Equal(4L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.event_exports"));
        var uploads = 0;
        PublishObject failingRecord = async (name, body, ct) =>
        {
            await store.PutNamedAsync(name, body, ct);
            if (++uploads == 1) throw new Interrupted();
        };
        await Assert.ThrowsAsync<Interrupted>(() => EventExport.RunAsync(db.Owner, failingRecord, until, null, options, work, Ct));
        Assert.Equal(4L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.event_exports"));

        var resumed = await EventExport.RunAsync(db.Owner, publish, until, null, options, work, Ct);
        Assert.Equal(2, resumed.Count);
        Assert.Equal(["lake/events/date=" + DateTime.UtcNow.Date.AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) + "/part-00002.parquet"],
            resumed.Take(1).Select(f => f.ObjectName));
        // A further run finds nothing new.
        Assert.Empty(await EventExport.RunAsync(db.Owner, publish, until, null, options, work, Ct));

        var table = await TableAsync();
        Assert.Equal(5_000, table.Count);
        var lake = await ReadBackAsync(store, "lake/events/");
        Assert.Equal(table, lake);
        Assert.Equal(5_000L, await db.ScalarAsync<long>("SELECT sum(row_count)::bigint FROM hephaestus.event_exports"));
        // Nothing of today (after --until) went out; the work directory holds nothing left over.
        Assert.Empty(Directory.EnumerateFiles(work));
    }

    [Fact]
    public async Task The_export_to_the_filesystem_store_resumes_after_an_interruption_and_reads_back_equal_to_the_table()
    {
        var root = Path.Combine(Path.GetTempPath(), "hephaestus-export-test", Guid.NewGuid().ToString("N"));
        await Export_interrupted_then_resumed_reads_back_equal_to_the_table(new FileSystemObjectStore(root));
    }

    [Fact]
    public async Task The_export_to_the_s3_store_resumes_after_an_interruption_and_reads_back_equal_to_the_table()
    {
        var server = await TestS3.GetAsync();
        using var store = new S3ObjectStore(await server.CreateBucketAsync());
        await Export_interrupted_then_resumed_reads_back_equal_to_the_table(store);
    }

    /// <summary>One late event of the first day (dated before every row exported), as the owner writes it, on the given connection.</summary>
    static async Task LateEventAsync(Npgsql.NpgsqlConnection connection, DateOnly day, Npgsql.NpgsqlTransaction? transaction = null)
    {
        await using var command = new Npgsql.NpgsqlCommand("""
            INSERT INTO hephaestus.learning_events (learner_id, occurred_at, id, source, client_event_id, verb, object_type, object_id)
            SELECT learner_id, $1::date + interval '0.5 second', gen_random_uuid(), 'native', 'late-' || gen_random_uuid(), 'answered', 'question', 'late'
            FROM hephaestus.learning_events LIMIT 1
            """, connection, transaction);
        command.Parameters.Add(new Npgsql.NpgsqlParameter<DateOnly> { TypedValue = day });
        Assert.Equal(1, await command.ExecuteNonQueryAsync(Ct));
    }

    /// <summary>Two days of events exported (one file each) to a fresh filesystem store, and how to run the export again.</summary>
    async Task<(DateOnly First, FileSystemObjectStore Store, Func<Task<IReadOnlyList<ExportedFile>>> Export)> ExportedAsync()
    {
        var (first, _) = await EventsAsync(perDay: 40);
        var store = new FileSystemObjectStore(Path.Combine(Path.GetTempPath(), "hephaestus-export-test", Guid.NewGuid().ToString("N")));
        var work = Path.Combine(Path.GetTempPath(), "hephaestus-export-test", Guid.NewGuid().ToString("N"));
        var until = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
        Task<IReadOnlyList<ExportedFile>> Export() =>
            EventExport.RunAsync(db.Owner, async (name, body, ct) => await store.PutNamedAsync(name, body, ct), until, null, new EventExportOptions(), work, Ct);
        Assert.Equal(2, (await Export()).Count);
        return (first, store, Export);
    }

    [Fact]
    public async Task A_late_event_for_a_day_exported_already_goes_out_as_that_days_next_file()
    {
        var (first, store, export) = await ExportedAsync();

        // Dated before every row of its day that went out, stored after them: the day's second file, holding it alone.
        await using (var connection = await db.Owner.OpenConnectionAsync(Ct)) await LateEventAsync(connection, first);
        Assert.Equal([new ExportedFile(first, 2, EventExport.ObjectName("events", first, 2), 1)], await export());
        Assert.Empty(await export());
        Assert.Equal(await TableAsync(), await ReadBackAsync(store, "events/"));
    }

    [Fact]
    public async Task An_event_whose_transaction_runs_while_the_export_starts_is_neither_skipped_nor_repeated()
    {
        var (first, store, export) = await ExportedAsync();

        // A late event stored (stored_at = its transaction's start) before the export begins but committed only after
        // the export took its horizon: the export waits for that transaction to end, then writes the row.
        await using var connection = await db.Owner.OpenConnectionAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        await LateEventAsync(connection, first, transaction);
        var running = export();
        await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
        Assert.False(running.IsCompleted);
        await transaction.CommitAsync(Ct);
        Assert.Equal(1L, (await running).Sum(f => f.Rows));
        Assert.Empty(await export());
        Assert.Equal(await TableAsync(), await ReadBackAsync(store, "events/"));
    }

    [Fact]
    public async Task A_day_exported_in_the_former_occurred_order_resumes_after_its_last_row_and_takes_late_events()
    {
        var (first, second) = await EventsAsync(perDay: 40);
        // As the export before migration 20261202010900 recorded it: the day's first 25 rows in (occurred_at, id) order.
        await db.ExecuteAsync("""
            INSERT INTO hephaestus.event_exports (day, file_number, object_name, row_count, first_occurred_at, first_id, last_occurred_at, last_id)
            SELECT $1, 1, 'former/part-00001.parquet', 25, min(occurred_at), (array_agg(id ORDER BY occurred_at, id))[1], max(occurred_at),
                   (array_agg(id ORDER BY occurred_at DESC, id DESC))[1]
            FROM (SELECT occurred_at, id FROM hephaestus.learning_events WHERE occurred_at >= $1::date AND occurred_at < $1::date + 1
                  ORDER BY occurred_at, id LIMIT 25) r
            """, first.ToDateTime(TimeOnly.MinValue));
        await using (var connection = await db.Owner.OpenConnectionAsync(Ct)) await LateEventAsync(connection, first);
        var store = new FileSystemObjectStore(Path.Combine(Path.GetTempPath(), "hephaestus-export-test", Guid.NewGuid().ToString("N")));
        var work = Path.Combine(Path.GetTempPath(), "hephaestus-export-test", Guid.NewGuid().ToString("N"));
        var until = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
        Task<IReadOnlyList<ExportedFile>> Export() =>
            EventExport.RunAsync(db.Owner, async (name, body, ct) => await store.PutNamedAsync(name, body, ct), until, null, new EventExportOptions(), work, Ct);

        // The 15 rows after the former watermark and the late one (dated before it, stored after it was recorded).
        Assert.Equal([(first, 2, 16L), (second, 1, 40L)], (await Export()).Select(f => (f.Day, f.FileNumber, f.Rows)));
        Assert.Empty(await Export());
        var late = await ReadBackAsync(store, "events/date=" + first.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) + "/");
        Assert.Contains(late, row => row.Contains("|late|", StringComparison.Ordinal));
    }

    [Fact]
    public async Task One_export_runs_at_a_time()
    {
        await EventsAsync(perDay: 10);
        var store = new FileSystemObjectStore(Path.Combine(Path.GetTempPath(), "hephaestus-export-test", Guid.NewGuid().ToString("N")));
        var work = Path.Combine(Path.GetTempPath(), "hephaestus-export-test", Guid.NewGuid().ToString("N"));
        var until = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
        await Assert.ThrowsAsync<EventExportBusyException>(() => EventExport.RunAsync(db.Owner, async (n, b, ct) => await store.PutNamedAsync(n, b, ct), until, null,
            new EventExportOptions(), work, Ct, async (_, ct) =>
            {
                // While the first holds the lock, a second is refused.
                await EventExport.RunAsync(db.Owner, async (n, b, c) => await store.PutNamedAsync(n, b, c), until, null, new EventExportOptions(), work, ct);
            }));
    }
}
