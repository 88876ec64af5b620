using Npgsql;
using NpgsqlTypes;

namespace Hephaestus.Data.Seeding;

public sealed record SeedOptions(int Learners, int CohortSize = 30, int Seed = 42, int BatchSize = 10_000);

public sealed record SeedResult(int Learners, int Educators, int Cohorts);

/// <summary>
/// Generates learners, their educators and cohorts, deterministically from a seed, with binary COPY into temp tables and
/// one INSERT … ON CONFLICT DO NOTHING per batch, so running it twice with a seed adds nothing the second time, and
/// another seed adds other people (its ids, and so its emails and subjects, differ).
/// Runs as the schema owner (a bulk tool, not a request).
/// </summary>
public static class LearnerSeeder
{
    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    static readonly string[] Locales = ["en", "en-GB", "fr", "de", "es", "pt-BR", "hi", "ja"];
    static readonly string[] TimeZones = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Asia/Tokyo", "America/Sao_Paulo"];
    static readonly string[] Goals = ["algebra", "geometry", "reading", "writing", "biology", "chemistry", "history"];

    public static async Task<SeedResult> SeedAsync(NpgsqlDataSource owner, SeedOptions options, Action<int>? progress, CancellationToken ct)
    {
        var ids = new DeterministicIds(options.Seed, Epoch);
        var random = new Random(options.Seed);
        var cohorts = (options.Learners + options.CohortSize - 1) / options.CohortSize;
        var done = 0;

        await using var connection = await owner.OpenConnectionAsync(ct);
        await Execute(connection, """
            CREATE TEMP TABLE seed_users (LIKE hephaestus.users INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;
            CREATE TEMP TABLE seed_cohorts (LIKE hephaestus.cohorts INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;
            CREATE TEMP TABLE seed_members (LIKE hephaestus.cohort_members INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;
            """, ct);

        // One batch = whole cohorts, so that every batch's members refer to users of the same batch.
        var cohortsPerBatch = Math.Max(1, options.BatchSize / options.CohortSize);
        for (var first = 0; first < cohorts; first += cohortsPerBatch)
        {
            var batch = new List<(Guid CohortId, Guid EducatorId, List<Guid> Learners)>();
            var batchLearners = 0;
            for (var cohort = first; cohort < Math.Min(cohorts, first + cohortsPerBatch); cohort++)
            {
                var size = Math.Min(options.CohortSize, options.Learners - cohort * options.CohortSize);
                var cohortId = ids.Next();
                var educatorId = ids.Next();
                var learners = new List<Guid>(size);
                for (var i = 0; i < size; i++) learners.Add(ids.Next());
                batch.Add((cohortId, educatorId, learners));
                batchLearners += size;
            }

            await using var transaction = await connection.BeginTransactionAsync(ct);
            await CopyBatchAsync(connection, batch, random, options.CohortSize, ct);
            await Execute(connection, """
                INSERT INTO hephaestus.users SELECT * FROM seed_users ON CONFLICT DO NOTHING;
                INSERT INTO hephaestus.cohorts SELECT * FROM seed_cohorts ON CONFLICT DO NOTHING;
                INSERT INTO hephaestus.cohort_members SELECT * FROM seed_members ON CONFLICT DO NOTHING;
                """, ct);
            await transaction.CommitAsync(ct);
            done += batchLearners;
            progress?.Invoke(done);
        }

        await Execute(connection, "ANALYZE hephaestus.users; ANALYZE hephaestus.cohort_members;", ct);
        return new SeedResult(options.Learners, cohorts, cohorts);
    }

    static async Task CopyBatchAsync(NpgsqlConnection connection, List<(Guid CohortId, Guid EducatorId, List<Guid> Learners)> batch,
        Random random, int cohortSize, CancellationToken ct)
    {
        await using (var users = await connection.BeginBinaryImportAsync(
            "COPY seed_users (id, external_subject, email, display_name, locale, time_zone, roles, profile) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var (_, educatorId, learners) in batch)
            {
                await WriteUserAsync(users, educatorId, "educator", ["educator"], random, ct);
                foreach (var learner in learners) await WriteUserAsync(users, learner, "learner", ["learner"], random, ct);
            }

            await users.CompleteAsync(ct); // without this the COPY is rolled back
        }

        await using (var cohorts = await connection.BeginBinaryImportAsync("COPY seed_cohorts (id, name) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var (cohortId, _, _) in batch)
            {
                await cohorts.StartRowAsync(ct);
                await cohorts.WriteAsync(cohortId, NpgsqlDbType.Uuid, ct);
                await cohorts.WriteAsync($"Cohort {cohortId.ToString()[..8]} ({cohortSize} learners)", NpgsqlDbType.Text, ct);
            }

            await cohorts.CompleteAsync(ct);
        }

        await using (var members = await connection.BeginBinaryImportAsync("COPY seed_members (cohort_id, user_id, member_role) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var (cohortId, educatorId, learners) in batch)
            {
                await WriteMemberAsync(members, cohortId, educatorId, "educator", ct);
                foreach (var learner in learners) await WriteMemberAsync(members, cohortId, learner, "learner", ct);
            }

            await members.CompleteAsync(ct);
        }
    }

    static async Task WriteUserAsync(NpgsqlBinaryImporter copy, Guid id, string kind, string[] roles, Random random, CancellationToken ct)
    {
        // From the id's random bits: its first 48 bits are the synthetic time, the same for every seed, and a handle made of
        // them gave a second seed the first one's emails (the users were skipped as conflicts, their memberships not: 23503).
        var handle = $"{kind}-{id.ToString("N")[20..]}";
        var goal = Goals[random.Next(Goals.Length)];
        var pace = random.Next(3) switch { 0 => "slow", 1 => "steady", _ => "fast" };
        var captions = random.Next(10) == 0 ? "true" : "false";
        var profile = "{\"goals\":[\"" + goal + "\"],\"preferences\":{\"pace\":\"" + pace + "\"},\"accessibility\":{\"captions\":" + captions + "}}";
        await copy.StartRowAsync(ct);
        await copy.WriteAsync(id, NpgsqlDbType.Uuid, ct);
        await copy.WriteAsync("seed|" + handle, NpgsqlDbType.Text, ct);
        await copy.WriteAsync(handle + "@seed.hephaestus.test", NpgsqlDbType.Text, ct);
        await copy.WriteAsync(handle, NpgsqlDbType.Text, ct);
        await copy.WriteAsync(Locales[random.Next(Locales.Length)], NpgsqlDbType.Text, ct);
        await copy.WriteAsync(TimeZones[random.Next(TimeZones.Length)], NpgsqlDbType.Text, ct);
        await copy.WriteAsync(roles, NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
        await copy.WriteAsync(profile, NpgsqlDbType.Jsonb, ct);
    }

    static async Task WriteMemberAsync(NpgsqlBinaryImporter copy, Guid cohortId, Guid userId, string role, CancellationToken ct)
    {
        await copy.StartRowAsync(ct);
        await copy.WriteAsync(cohortId, NpgsqlDbType.Uuid, ct);
        await copy.WriteAsync(userId, NpgsqlDbType.Uuid, ct);
        await copy.WriteAsync(role, NpgsqlDbType.Text, ct);
    }

    static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}
