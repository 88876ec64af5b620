using Hephaestus.Testing;
using Npgsql;

namespace Hephaestus.Data.Tests.Migrations;

/// <summary>
/// The schema stays ready to be distributed with Citus (docs/scale-out.md), checked against the catalog: every table is
/// placed (distributed by a column and co-located with its group, a reference table, or a local table on the
/// coordinator), and what Citus refuses is refused here first. A distributed table has its distribution column NOT NULL and
/// first in its primary key and in every unique constraint and unique index; a foreign key between two distributed tables
/// stays within one co-location group and maps distribution column to distribution column; a reference table references
/// only reference tables; a local table references no distributed table. The learner group's column is the learner's user
/// id (<c>learner_id</c>; <c>users.id</c>, <c>cohort_members.user_id</c>). A new table fails until it is placed here.
/// </summary>
public sealed class CitusReadinessTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    enum Kind { Distributed, Reference, Local }

    sealed record Place(Kind Kind, string? Column, string? Group, string Reason);

    const string LearnerGroup = "learner";
    const string LearnerReason = "a learner's own rows: distributed by the learner's user id, co-located with users";
    const string CatalogReason = "catalog: authored, read by every learner's queries, small beside learner state: replicated whole";

    static Place Learner(string column = "learner_id") => new(Kind.Distributed, column, LearnerGroup, LearnerReason);
    static Place Catalog(string reason = CatalogReason) => new(Kind.Reference, null, null, reason);

    static readonly Dictionary<string, Place> Tables = new(StringComparer.Ordinal)
    {
        ["users"] = Learner("id"),
        ["cohort_members"] = Learner("user_id"),
        ["learner_skill_mastery"] = Learner(),
        ["enrollments"] = Learner(),
        ["enrollment_overrides"] = Learner(),
        ["attempts"] = Learner(),
        ["attempt_responses"] = Learner(),
        ["results"] = Learner(),
        ["idempotency_keys"] = Learner(),
        ["rubric_assessments"] = Learner(),
        ["evidence"] = Learner(),
        ["content_exposures"] = Learner(),
        ["learning_events"] = Learner(),
        ["item_analysis_attempts"] = Learner(),

        ["item_analysis_item_sums"] = new(Kind.Distributed, "assessment_id", "assessment",
            "running sums per assessment, striped by learner: one assessment's rows together; the statement trigger that keeps them must move into LearnerRecord's batch on Citus"),
        ["item_analysis_test_sums"] = new(Kind.Distributed, "assessment_id", "assessment", "as item_analysis_item_sums"),
        ["xapi_statements"] = new(Kind.Distributed, "statement_id", "statement",
            "xAPI statements are addressed by their statement id (a GET, voiding, attachments), and an actor need not be a user: learner_id may be null"),
        ["xapi_voided"] = new(Kind.Distributed, "statement_id", "statement", "a voided statement's mark, beside the statement"),
        ["xapi_attachments"] = new(Kind.Distributed, "statement_id", "statement", "a statement's attachments, beside the statement"),

        ["user_identities"] = Catalog("emails and subjects unique across all users, and the one target of references to a person other than the row's learner"),
        ["cohorts"] = Catalog("cohorts are few and joined by every educator's read"),
        ["external_ids"] = Catalog("imported records' ids (OneRoster sourcedIds), unique per system, looked up before the user is known"),
        ["imports"] = Catalog("the import audit: one row per import"),
        ["web_sign_in_links"] = Catalog("one-time sign-in codes of the embedded default: a handful of rows, found by code, naming a person through user_identities"),
        ["mastery_scales"] = Catalog(),
        ["mastery_levels"] = Catalog(),
        ["competency_frameworks"] = Catalog(),
        ["skills"] = Catalog(),
        ["skill_prerequisites"] = Catalog(),
        ["rubrics"] = Catalog(),
        ["rubric_criteria"] = Catalog(),
        ["learning_paths"] = Catalog(),
        ["path_versions"] = Catalog(),
        ["path_steps"] = Catalog(),
        ["path_step_prerequisites"] = Catalog(),
        ["items"] = Catalog(),
        ["item_versions"] = Catalog(),
        ["item_version_skills"] = Catalog(),
        ["assessments"] = Catalog(),
        ["assessment_versions"] = Catalog(),
        ["assessment_parts"] = Catalog(),
        ["content_bodies"] = Catalog(),
        ["content_items"] = Catalog(),
        ["content_item_skills"] = Catalog(),
        ["content_versions"] = Catalog(),
        ["content_quality_scores"] = Catalog(),
        ["quality_dimensions"] = Catalog(),
        ["content_review_events"] = Catalog("the review audit of content versions, read with them"),
        ["content_flags"] = Catalog("flags on content versions, read with them"),
        ["event_activity_alignments"] = Catalog(),
        ["xapi_activities"] = Catalog("canonical xAPI activity definitions"),
        ["xapi_credentials"] = Catalog("provider credentials: a handful, checked on every /xapi request before any actor exists"),

        ["__ef_migrations_history"] = new(Kind.Local, null, null, "the migrator's ledger: the coordinator's schema"),
        ["event_exports"] = new(Kind.Local, null, null, "the events export's watermark, written by the CLI verb on the coordinator"),
        ["learning_event_staging"] = new(Kind.Local, null, null,
            "an unlogged staging table filled by one request's COPY and emptied in its transaction; Citus routes the INSERT … SELECT into learning_events by learner"),
        ["xapi_documents"] = new(Kind.Local, null, null,
            "xAPI documents are keyed by the agent (an identifier that need not be a user) and the activity; they stay on the coordinator until their volume calls for distribution by agent"),
    };

    /// <summary>Rules a constraint breaks on purpose, by name, each with the reason and what the move to Citus does about it.</summary>
    static readonly Dictionary<string, string> Exceptions = new(StringComparer.Ordinal)
    {
        ["xapi_voided.xapi_voided_voided_by_fkey"] =
            "the voiding statement is another statement (another shard): docs/scale-out.md drops this key at the move; both rows are written in one transaction by XapiStatementStore",
    };

    sealed record Table(string Name, uint Oid, string? Column, bool ColumnNotNull, short ColumnNumber);

    [Fact]
    public async Task Every_table_is_placed_and_every_placement_names_a_table()
    {
        var names = (await TablesAsync()).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(names.Except(Tables.Keys).Order(StringComparer.Ordinal));
        Assert.Empty(Tables.Keys.Except(names).Order(StringComparer.Ordinal));
        Assert.All(Tables.Values, p => Assert.False(string.IsNullOrWhiteSpace(p.Reason)));
    }

    [Fact]
    public async Task A_table_with_a_learner_column_is_in_the_learner_group_or_says_why_not()
    {
        var withLearner = await ScalarListAsync("""
            SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE c.relnamespace = 'hephaestus'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
              AND a.attname = 'learner_id' AND NOT a.attisdropped
            """);
        Assert.NotEmpty(withLearner);
        // Placed elsewhere only with a reason of its own: learner rows replicated as "catalog" would copy every learner's
        // state to every node.
        var unexplained = withLearner.Where(t => Tables.GetValueOrDefault(t) is { } place && place.Group != LearnerGroup
            && place.Reason is CatalogReason or LearnerReason).ToList();
        Assert.Empty(unexplained);
        Assert.All(withLearner.Where(t => Tables.GetValueOrDefault(t)?.Group == LearnerGroup), t => Assert.Equal("learner_id", Tables[t].Column));
    }

    [Fact]
    public async Task A_distributed_tables_column_is_not_null_and_first_in_its_primary_key_and_every_unique_key()
    {
        var problems = new List<string>();
        foreach (var table in await TablesAsync())
        {
            if (Tables.GetValueOrDefault(table.Name) is not { Kind: Kind.Distributed } place) continue;
            if (table.Column is null) { problems.Add($"{table.Name}: no column {place.Column}"); continue; }
            if (!table.ColumnNotNull) problems.Add($"{table.Name}.{table.Column} may be null");
            await using var command = db.Owner.CreateCommand("""
                SELECT coalesce(k.conname, i.indexrelid::regclass::text), i.indkey[0], i.indisprimary
                FROM pg_index i LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid
                WHERE i.indrelid = $1 AND i.indisunique
                """);
            command.Parameters.Add(new NpgsqlParameter<uint> { TypedValue = table.Oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            var hasPrimaryKey = false;
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var (key, first, primary) = (reader.GetString(0), reader.GetInt16(1), reader.GetBoolean(2));
                hasPrimaryKey |= primary;
                if (first != table.ColumnNumber && !Excepted(table.Name, key))
                    problems.Add($"{table.Name}: {key} does not begin with {table.Column}");
            }

            if (!hasPrimaryKey && table.Name != "learning_event_staging") problems.Add($"{table.Name}: no primary key");
        }

        Assert.Empty(problems);
    }

    [Fact]
    public async Task Foreign_keys_are_ones_Citus_accepts()
    {
        var tables = (await TablesAsync()).ToDictionary(t => t.Oid);
        var problems = new List<string>();
        await using var command = db.Owner.CreateCommand("""
            SELECT conname, conrelid, confrelid, conkey, confkey FROM pg_constraint
            WHERE contype = 'f' AND connamespace = 'hephaestus'::regnamespace
              AND conrelid IN (SELECT oid FROM pg_class WHERE NOT relispartition)
            """);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var name = reader.GetString(0);
            var (from, to) = (tables[reader.GetFieldValue<uint>(1)], tables[reader.GetFieldValue<uint>(2)]);
            var (keys, referenced) = (reader.GetFieldValue<short[]>(3), reader.GetFieldValue<short[]>(4));
            var (source, target) = (Tables[from.Name], Tables[to.Name]);
            var problem = (source.Kind, target.Kind) switch
            {
                (_, Kind.Reference) => null,
                (Kind.Local, Kind.Local) => null,
                (Kind.Distributed, Kind.Distributed) when source.Group != target.Group => $"crosses from group {source.Group} to {target.Group}",
                (Kind.Distributed, Kind.Distributed) when !keys.Select((k, i) => (k, referenced[i])).Contains((from.ColumnNumber, to.ColumnNumber)) =>
                    $"omits the distribution column ({from.Column} → {to.Column})",
                (Kind.Distributed, Kind.Distributed) => null,
                _ => $"a {source.Kind} table references a {target.Kind} table",
            };
            if (problem is not null && !Excepted(from.Name, name)) problems.Add($"{from.Name}.{name} → {to.Name}: {problem}");
        }

        Assert.Empty(problems);
    }

    [Fact]
    public async Task Every_exception_still_names_a_constraint()
    {
        var constraints = await ScalarListAsync("""
            SELECT c.relname || '.' || k.conname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
            WHERE c.relnamespace = 'hephaestus'::regnamespace
            UNION ALL
            SELECT c.relname || '.' || i.relname FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
            WHERE c.relnamespace = 'hephaestus'::regnamespace
            """);
        Assert.All(Exceptions.Keys, key => Assert.Contains(key, constraints));
    }

    static bool Excepted(string table, string constraint) => Exceptions.ContainsKey(table + "." + constraint);

    async Task<List<Table>> TablesAsync()
    {
        await using var command = db.Owner.CreateCommand("""
            SELECT c.relname, c.oid, a.attname, a.attnotnull, a.attnum FROM pg_class c
            LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = $1[array_position($2, c.relname::text)] AND NOT a.attisdropped
            WHERE c.relnamespace = 'hephaestus'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
            """);
        var distributed = Tables.Where(t => t.Value.Column is not null).ToList();
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. distributed.Select(t => t.Value.Column!)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. distributed.Select(t => t.Key)] });
        var tables = new List<Table>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            tables.Add(new Table(reader.GetString(0), reader.GetFieldValue<uint>(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                !reader.IsDBNull(3) && reader.GetBoolean(3), reader.IsDBNull(4) ? (short)0 : reader.GetInt16(4)));
        }

        return tables;
    }

    async Task<List<string>> ScalarListAsync(string sql)
    {
        await using var command = db.Owner.CreateCommand(sql);
        var values = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) values.Add(reader.GetString(0));
        return values;
    }
}
