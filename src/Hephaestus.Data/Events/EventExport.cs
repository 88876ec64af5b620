using System.Globalization;
using Npgsql;
using Parquet;
using Parquet.Schema;

namespace Hephaestus.Data.Events;

/// <summary>How the export cuts files: rows per row group (what it holds in memory) and per file.</summary>
public sealed record EventExportOptions(string Prefix = "events", int RowGroupRows = 50_000, int FileRows = 1_000_000);

/// <summary>One Parquet file written and recorded.</summary>
public sealed record ExportedFile(DateOnly Day, int FileNumber, string ObjectName, long Rows);

/// <summary>
/// Puts a finished file into the object store under its name and returns once it is durable there (the CLI passes the
/// configured store's named-object writer; the data layer knows no object store).
/// </summary>
public delegate Task PublishObject(string name, Stream body, CancellationToken ct);

/// <summary>The export could not start: another export holds the lock.</summary>
public sealed class EventExportBusyException() : Exception("Another events export is running (it holds the export's advisory lock).");

/// <summary>
/// The export of learning events to a data lake (issue 11, part 6): per partition (one UTC day, whole days before
/// <c>until</c>) the rows stored after the day's watermark, in the order they were stored, (stored_at, learner_id,
/// occurred_at, id), as Parquet files of at most <see cref="EventExportOptions.FileRows"/> rows, named
/// <c>{prefix}/date=YYYY-MM-DD/part-NNNNN.parquet</c>. Each file is written to a local temporary file one row group at a
/// time (never the whole day in memory: one sorted read streams through), published, and only then recorded in
/// <c>event_exports</c>, whose last row per day is the watermark (the key of the last row exported).
/// <para>Late events: an event stored for a day that went out already sorts after the watermark (it was stored later),
/// so the next run writes it as the day's next file. That needs every row before a run's horizon to be visible to it:
/// each run takes a horizon (the clock, in milliseconds) and then waits until every transaction of the database that was
/// running at that moment has ended (their virtual transaction ids leave pg_locks, which any role may read, as CREATE
/// INDEX CONCURRENTLY waits), and exports only rows stored before the horizon. A row's stored_at is its transaction's
/// start (native) or a clock reading inside it (xAPI), so a transaction still running when the snapshot is taken stores
/// at or after the horizon, and goes out with a later run.</para>
/// <para>Interrupted anywhere, the next run starts from the last recorded file: a file published but not recorded is
/// written again under the same name from the same watermark (replacing it), so no row is skipped or exported twice.
/// Runs as the schema owner (every learner's events); one run at a time (a session advisory lock).</para>
/// </summary>
public static class EventExport
{
    const long LockKey = 0x4865_7068_4576_4578; // "HephEvEx"

    const string Days = "SELECT day FROM hephaestus.event_partitions() WHERE day <= $1::date AND ($2::date IS NULL OR day = $2) ORDER BY day";

    const string Horizon = "SELECT date_trunc('milliseconds', clock_timestamp())";

    // Every transaction of this database running now (each holds the lock of its own virtual transaction id), but for
    // this session's own statement. Autovacuum and other background workers store no events.
    const string Running = """
        SELECT coalesce(array_agg(l.virtualxid), '{}') FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'virtualxid' AND l.granted AND l.pid <> pg_backend_pid() AND a.datname = current_database()
          AND a.backend_type = 'client backend'
        """;

    const string StillRunning = "SELECT count(*) FROM pg_locks WHERE locktype = 'virtualxid' AND granted AND virtualxid = ANY ($1)";

    // The day's last file (the watermark: its file number and last row's key; NULL stored key for a file of the former
    // (occurred_at, id) order), and the last file of that former order with the time it was recorded.
    const string Watermark = """
        SELECT (SELECT max(file_number) FROM hephaestus.event_exports WHERE day = $1),
               s.last_stored_at, s.last_learner_id, s.last_occurred_at, s.last_id, o.last_occurred_at, o.last_id, o.exported_at
        FROM (SELECT 1) one
        LEFT JOIN LATERAL (SELECT * FROM hephaestus.event_exports WHERE day = $1 AND last_stored_at IS NOT NULL ORDER BY file_number DESC LIMIT 1) s ON true
        LEFT JOIN LATERAL (SELECT e.last_occurred_at, e.last_id, (SELECT max(exported_at) FROM hephaestus.event_exports WHERE day = $1 AND last_stored_at IS NULL) AS exported_at
                           FROM hephaestus.event_exports e WHERE e.day = $1 AND e.last_stored_at IS NULL ORDER BY e.file_number DESC LIMIT 1) o ON true
        """;

    // A day's rows stored before the horizon and after the watermark. Files of the former order exported the rows up to
    // their last (occurred_at, id) that existed when they were recorded: of those, only rows stored after the last of
    // them was recorded are still to go.
    const string Rows = """
        SELECT learner_id, occurred_at, id, stored_at, source, client_event_id, verb, object_type, object_id, result::text, context::text,
               score_scaled, duration_ms
        FROM hephaestus.learning_events
        WHERE occurred_at >= $1 AND occurred_at < $2 AND stored_at < $3
          AND ($4::timestamptz IS NULL OR (stored_at, learner_id, occurred_at, id) > ($4, $5::uuid, $6::timestamptz, $7::uuid))
          AND ($8::timestamptz IS NULL OR (occurred_at, id) > ($8, $9::uuid) OR stored_at >= $10::timestamptz)
        ORDER BY stored_at, learner_id, occurred_at, id
        """;

    const string Record = """
        INSERT INTO hephaestus.event_exports (day, file_number, object_name, row_count, first_occurred_at, first_id, last_occurred_at, last_id,
                                              last_stored_at, last_learner_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        """;

    /// <summary>The columns of every file, in this order.</summary>
    public static readonly ParquetSchema Schema = new(
        new DataField<string>("learner_id"),
        new DateTimeDataField("occurred_at", DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros),
        new DataField<string>("id"),
        new DateTimeDataField("stored_at", DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros),
        new DataField<string>("source"),
        new DataField<string>("client_event_id", nullable: true),
        new DataField<string>("verb"),
        new DataField<string>("object_type"),
        new DataField<string>("object_id"),
        new DataField<string>("result", nullable: true),
        new DataField<string>("context", nullable: true),
        new DataField<double?>("score_scaled"),
        new DataField<long?>("duration_ms"));

    public static string ObjectName(string prefix, DateOnly day, int fileNumber) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix.TrimEnd('/')}/date={day:yyyy-MM-dd}/part-{fileNumber:D5}.parquet");

    /// <param name="until">Only whole UTC days before this time are exported (default at the CLI: the start of the current UTC day).</param>
    /// <param name="onlyDay">One partition only, or every partition up to <paramref name="until"/>.</param>
    /// <param name="afterFile">Called after each file is recorded (progress; tests interrupt here).</param>
    public static async Task<IReadOnlyList<ExportedFile>> RunAsync(NpgsqlDataSource owner, PublishObject publish, DateTimeOffset until, DateOnly? onlyDay,
        EventExportOptions options, string workDirectory, CancellationToken ct, Func<ExportedFile, CancellationToken, Task>? afterFile = null)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(publish);
        ArgumentNullException.ThrowIfNull(options);
        if (options.RowGroupRows < 1 || options.FileRows < options.RowGroupRows) throw new ArgumentException("need 1 <= RowGroupRows <= FileRows", nameof(options));
        Directory.CreateDirectory(workDirectory);

        await using var control = await owner.OpenConnectionAsync(ct);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", control) { Parameters = { new NpgsqlParameter<long> { TypedValue = LockKey } } })
        {
            if (await lockCommand.ExecuteScalarAsync(ct) is not true) throw new EventExportBusyException();
        }

        try
        {
            var days = new List<DateOnly>();
            await using (var list = new NpgsqlCommand(Days, control))
            {
                // A day is exported once it is over: rows of a later part of a day could never go out behind a watermark
                // that already passed them in stored order.
                list.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = DateOnly.FromDateTime(until.UtcDateTime).AddDays(-1) });
                list.Parameters.Add(SqlParameters.NullableDate(onlyDay));
                await using var reader = await list.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) days.Add(reader.GetFieldValue<DateOnly>(0));
            }

            var horizon = await HorizonAsync(control, ct);
            var exported = new List<ExportedFile>();
            foreach (var day in days)
            {
                exported.AddRange(await ExportDayAsync(owner, control, publish, day, horizon, options, workDirectory, ct, afterFile));
            }

            return exported;
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", control) { Parameters = { new NpgsqlParameter<long> { TypedValue = LockKey } } };
            await unlock.ExecuteScalarAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// The time before which every stored row is visible to a snapshot taken after this returns: the clock now, once
    /// every transaction running at that moment has ended.
    /// </summary>
    static async Task<DateTimeOffset> HorizonAsync(NpgsqlConnection control, CancellationToken ct)
    {
        DateTimeOffset horizon;
        await using (var clock = new NpgsqlCommand(Horizon, control))
        await using (var reader = await clock.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            horizon = reader.GetFieldValue<DateTimeOffset>(0);
        }

        string[] running;
        await using (var list = new NpgsqlCommand(Running, control)) running = (string[])(await list.ExecuteScalarAsync(ct))!;
        while (running.Length > 0)
        {
            await using var check = new NpgsqlCommand(StillRunning, control) { Parameters = { SqlParameters.TextArray(running) } };
            if ((long)(await check.ExecuteScalarAsync(ct))! == 0) break;
            await Task.Delay(TimeSpan.FromMilliseconds(50), ct);
        }

        return horizon;
    }

    static async Task<List<ExportedFile>> ExportDayAsync(NpgsqlDataSource owner, NpgsqlConnection control, PublishObject publish, DateOnly day, DateTimeOffset horizon,
        EventExportOptions options, string workDirectory, CancellationToken ct, Func<ExportedFile, CancellationToken, Task>? afterFile)
    {
        var fileNumber = 0;
        var parameters = new NpgsqlParameter[7];
        await using (var watermark = new NpgsqlCommand(Watermark, control) { Parameters = { new NpgsqlParameter<DateOnly> { TypedValue = day } } })
        await using (var reader = await watermark.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            fileNumber = reader.IsDBNull(0) ? 0 : reader.GetInt32(0);
            parameters[0] = SqlParameters.NullableTime(reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1));
            parameters[1] = SqlParameters.NullableUuid(reader.IsDBNull(2) ? null : reader.GetGuid(2));
            parameters[2] = SqlParameters.NullableTime(reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(3));
            parameters[3] = SqlParameters.NullableUuid(reader.IsDBNull(1) ? null : reader.GetGuid(4));
            parameters[4] = SqlParameters.NullableTime(reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5));
            parameters[5] = SqlParameters.NullableUuid(reader.IsDBNull(6) ? null : reader.GetGuid(6));
            parameters[6] = SqlParameters.NullableTime(reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7));
        }

        var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var files = new List<ExportedFile>();
        // The one sorted read of the day streams through on its own connection while files are published and recorded.
        await using var source = await owner.OpenConnectionAsync(ct);
        await using var transaction = await source.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        await using var rows = new NpgsqlCommand(Rows, source, transaction)
        {
            Parameters =
            {
                new NpgsqlParameter<DateTimeOffset> { TypedValue = start },
                new NpgsqlParameter<DateTimeOffset> { TypedValue = start.AddDays(1) },
                new NpgsqlParameter<DateTimeOffset> { TypedValue = horizon },
            },
        };
        rows.Parameters.AddRange(parameters);
        await using var events = await rows.ExecuteReaderAsync(ct);
        var more = await events.ReadAsync(ct);
        while (more)
        {
            fileNumber++;
            var name = ObjectName(options.Prefix, day, fileNumber);
            var temporary = Path.Combine(workDirectory, $"{Guid.NewGuid():N}.parquet");
            FileSpan span;
            try
            {
                await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.Asynchronous))
                {
                    (span, more) = await WriteFileAsync(events, file, options, ct);
                    file.Flush(flushToDisk: true);
                }

                await using (var body = new FileStream(temporary, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan))
                {
                    await publish(name, body, ct);
                }

                // Recorded only now that the file is durable in the store: this row is the day's new watermark.
                await using (var record = new NpgsqlCommand(Record, control))
                {
                    record.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = day });
                    record.Parameters.Add(SqlParameters.Int(fileNumber));
                    record.Parameters.Add(SqlParameters.Text(name));
                    record.Parameters.Add(new NpgsqlParameter<long> { TypedValue = span.Rows });
                    record.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = span.First.At });
                    record.Parameters.Add(SqlParameters.Uuid(span.First.Id));
                    record.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = span.Last.At });
                    record.Parameters.Add(SqlParameters.Uuid(span.Last.Id));
                    record.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = span.LastStored });
                    record.Parameters.Add(SqlParameters.Uuid(span.LastLearner));
                    await record.ExecuteNonQueryAsync(ct);
                }
            }
            finally
            {
                File.Delete(temporary);
            }

            var exported = new ExportedFile(day, fileNumber, name, span.Rows);
            files.Add(exported);
            if (afterFile is not null) await afterFile(exported, ct);
        }

        return files;
    }

    /// <summary>What a file holds: its row count, its first row's (occurred_at, id), and its last row's whole key.</summary>
    readonly record struct FileSpan(long Rows, (DateTimeOffset At, Guid Id) First, (DateTimeOffset At, Guid Id) Last, DateTimeOffset LastStored, Guid LastLearner);

    /// <summary>
    /// Writes rows from the reader (positioned on an unread-yet current row) into one file, a row group at a time, until
    /// the file is full or the rows end; returns what it wrote and whether the reader holds a further row.
    /// </summary>
    static async Task<(FileSpan Span, bool More)> WriteFileAsync(NpgsqlDataReader events, Stream file, EventExportOptions options, CancellationToken ct)
    {
        var fields = Schema.GetDataFields();
        var group = new RowGroup(options.RowGroupRows);
        long written = 0;
        (DateTimeOffset, Guid) first = default, last = default;
        (DateTimeOffset lastStored, Guid lastLearner) = (default, default);
        var more = true;
        await using var writer = await ParquetWriter.CreateAsync(Schema, file, new ParquetOptions { CompressionMethod = CompressionMethod.Zstd }, cancellationToken: ct);
        while (more && written < options.FileRows)
        {
            group.Clear();
            while (more && group.Count < options.RowGroupRows && written + group.Count < options.FileRows)
            {
                group.Add(events);
                more = await events.ReadAsync(ct);
            }

            if (written == 0) first = (group.OccurredAt[0], Guid.Parse(group.Id[0]));
            last = (group.OccurredAt[group.Count - 1], Guid.Parse(group.Id[group.Count - 1]));
            (lastStored, lastLearner) = (group.StoredAt[group.Count - 1], Guid.Parse(group.LearnerId[group.Count - 1]));
            written += group.Count;
            using var rowGroup = writer.CreateRowGroup();
            await group.WriteAsync(rowGroup, fields, ct);
        }

        return (new FileSpan(written, first, last, lastStored, lastLearner), more);
    }

    /// <summary>One row group's columns, reused from group to group.</summary>
    sealed class RowGroup(int capacity)
    {
        readonly List<string> _learner = new(capacity), _id = new(capacity), _source = new(capacity), _verb = new(capacity),
            _objectType = new(capacity), _objectId = new(capacity);
        readonly List<string?> _client = new(capacity), _result = new(capacity), _context = new(capacity);
        readonly List<DateTimeOffset> _occurred = new(capacity);
        readonly List<DateTime> _stored = new(capacity);
        readonly List<double?> _score = new(capacity);
        readonly List<long?> _duration = new(capacity);

        public int Count => _id.Count;
        public List<DateTimeOffset> OccurredAt => _occurred;
        public List<string> Id => _id;
        public List<string> LearnerId => _learner;
        public List<DateTimeOffset> StoredAt { get; } = new(capacity);

        public void Clear()
        {
            foreach (var list in new System.Collections.IList[] { _learner, _id, _source, _verb, _objectType, _objectId, _client, _result, _context, _occurred, _stored, StoredAt, _score, _duration })
            {
                list.Clear();
            }
        }

        public void Add(NpgsqlDataReader r)
        {
            _learner.Add(r.GetGuid(0).ToString());
            _occurred.Add(r.GetFieldValue<DateTimeOffset>(1));
            _id.Add(r.GetGuid(2).ToString());
            var stored = r.GetFieldValue<DateTimeOffset>(3);
            _stored.Add(stored.UtcDateTime);
            StoredAt.Add(stored);
            _source.Add(r.GetString(4));
            _client.Add(r.IsDBNull(5) ? null : r.GetString(5));
            _verb.Add(r.GetString(6));
            _objectType.Add(r.GetString(7));
            _objectId.Add(r.GetString(8));
            _result.Add(r.IsDBNull(9) ? null : r.GetString(9));
            _context.Add(r.IsDBNull(10) ? null : r.GetString(10));
            _score.Add(r.IsDBNull(11) ? null : r.GetDouble(11));
            _duration.Add(r.IsDBNull(12) ? null : r.GetInt64(12));
        }

        public async Task WriteAsync(ParquetRowGroupWriter group, DataField[] fields, CancellationToken ct)
        {
            await group.WriteAsync(fields[0], _learner);
            await group.WriteAsync(fields[1], (ReadOnlyMemory<DateTime>)_occurred.Select(o => o.UtcDateTime).ToArray(), cancellationToken: ct);
            await group.WriteAsync(fields[2], _id);
            await group.WriteAsync(fields[3], (ReadOnlyMemory<DateTime>)_stored.ToArray(), cancellationToken: ct);
            await group.WriteAsync(fields[4], _source);
            await group.WriteAsync(fields[5], _client!);
            await group.WriteAsync(fields[6], _verb);
            await group.WriteAsync(fields[7], _objectType);
            await group.WriteAsync(fields[8], _objectId);
            await group.WriteAsync(fields[9], _result!);
            await group.WriteAsync(fields[10], _context!);
            await group.WriteAsync(fields[11], (ReadOnlyMemory<double?>)_score.ToArray(), cancellationToken: ct);
            await group.WriteAsync(fields[12], (ReadOnlyMemory<long?>)_duration.ToArray(), cancellationToken: ct);
        }
    }
}
