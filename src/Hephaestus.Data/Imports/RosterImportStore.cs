using Hephaestus.Domain;
using Hephaestus.Domain.Identity;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Imports;

/// <summary>
/// Imports a OneRoster export (<see cref="OneRosterFiles"/>) as users, cohorts and memberships, all or nothing: every
/// line is checked first (the files, then what they refer to in the database), and when any is bad nothing is written.
/// A re-import finds its rows again by their sourcedId (<c>external_ids</c>; a user not yet mapped is also found by
/// their subject, the OneRoster username), so it changes only what changed. Writes are one statement per table (arrays
/// through unnest), in one transaction, under a transaction-level advisory lock: two imports at once run one after the
/// other, and the second finds the first's rows. An import deletes only what a file marks tobedeleted (a class: its
/// cohort; an enrollment: its membership; a user: their memberships in imported cohorts, never the user, whose learning
/// record only erasure removes); what a file leaves out stays.
/// </summary>
public static class RosterImportStore
{
    public const string System = "oneroster";

    /// <summary>The users the file's lines are, by mapping or else by subject (a user made before the roster, not mapped yet).</summary>
    const string ReadUsers = """
        SELECT i.source_id, u.id, u.external_subject, u.email, u.display_name, u.roles, x.user_id IS NOT NULL
        FROM unnest($2::text[], $3::text[]) AS i (source_id, subject)
        LEFT JOIN hephaestus.external_ids x ON x.system = $1 AND x.kind = 'user' AND x.source_id = i.source_id
        JOIN hephaestus.users u ON u.id = coalesce(x.user_id, (
            SELECT s.id FROM hephaestus.users s
            WHERE s.external_subject = i.subject
              AND NOT EXISTS (SELECT 1 FROM hephaestus.external_ids y WHERE y.system = $1 AND y.user_id = s.id)))
        """;

    const string ReadUserMappings = "SELECT source_id, user_id FROM hephaestus.external_ids WHERE system = $1 AND kind = 'user' AND source_id = ANY ($2)";

    /// <summary>Who already holds an email or a subject the import is to write.</summary>
    const string ReadHolders = """
        SELECT lower(email), external_subject, id FROM hephaestus.users WHERE lower(email) = ANY ($1) OR external_subject = ANY ($2)
        """;

    const string ReadCohorts = """
        SELECT x.source_id, c.id, c.name FROM hephaestus.external_ids x JOIN hephaestus.cohorts c ON c.id = x.cohort_id
        WHERE x.system = $1 AND x.kind = 'cohort' AND x.source_id = ANY ($2)
        """;

    /// <summary>The memberships of the cohorts involved, and those of deleted users in any imported cohort.</summary>
    const string ReadMemberships = """
        SELECT m.cohort_id, m.user_id, m.member_role FROM hephaestus.cohort_members m
        WHERE m.cohort_id = ANY ($2)
           OR (m.user_id = ANY ($3) AND EXISTS (SELECT 1 FROM hephaestus.external_ids x WHERE x.system = $1 AND x.cohort_id = m.cohort_id))
        """;

    const string InsertUsers = """
        INSERT INTO hephaestus.users (id, external_subject, email, display_name, roles)
        SELECT id, subject, email, name, string_to_array(roles, ',')
        FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u (id, subject, email, name, roles) ORDER BY id
        """;

    const string UpdateUsers = """
        UPDATE hephaestus.users t SET external_subject = u.subject, email = u.email, display_name = u.name, roles = string_to_array(u.roles, ',')
        FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u (id, subject, email, name, roles)
        WHERE t.id = u.id
        """;

    const string InsertUserMappings = """
        INSERT INTO hephaestus.external_ids (system, kind, source_id, user_id)
        SELECT $1, 'user', s, id FROM unnest($2::text[], $3::uuid[]) AS m (s, id) ORDER BY s
        ON CONFLICT DO NOTHING
        """;

    const string InsertCohorts = """
        INSERT INTO hephaestus.cohorts (id, name) SELECT id, name FROM unnest($1::uuid[], $2::text[]) AS c (id, name) ORDER BY id
        """;

    const string UpdateCohorts = """
        UPDATE hephaestus.cohorts t SET name = c.name FROM unnest($1::uuid[], $2::text[]) AS c (id, name) WHERE t.id = c.id
        """;

    const string DeleteCohorts = "DELETE FROM hephaestus.cohorts WHERE id = ANY ($1)";

    const string InsertCohortMappings = """
        INSERT INTO hephaestus.external_ids (system, kind, source_id, cohort_id)
        SELECT $1, 'cohort', s, id FROM unnest($2::text[], $3::uuid[]) AS m (s, id) ORDER BY s
        ON CONFLICT DO NOTHING
        """;

    const string DeleteMemberships = """
        DELETE FROM hephaestus.cohort_members t USING unnest($1::uuid[], $2::uuid[]) AS m (cohort_id, user_id)
        WHERE t.cohort_id = m.cohort_id AND t.user_id = m.user_id
        """;

    const string UpsertMemberships = """
        INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role)
        SELECT c, u, r FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS m (c, u, r) ORDER BY c, u
        ON CONFLICT (cohort_id, user_id) DO UPDATE SET member_role = excluded.member_role
        WHERE cohort_members.member_role IS DISTINCT FROM excluded.member_role
        """;

    sealed record KnownUser(Guid Id, string Subject, string Email, string DisplayName, string[] Roles, bool Mapped);

    /// <summary>Checks every line, then writes everything or nothing; the actor must be an admin (row-level security agrees).</summary>
    public static async Task<ImportResult> ImportAsync(NpgsqlDataSource db, Actor actor, OneRosterFiles files, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(files);
        var errors = new List<ValidationError>(files.Errors);
        foreach (var part in OneRosterFiles.Parts.Where(p => !files.Read.Contains(p))) errors.Add(new(part, $"{part}.csv is required"));
        CheckWithinFiles(files, errors);

        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await scope.ExecuteAsync(ImportLock.Commands("oneroster"), ct);

        // What the lines are in the database.
        var users = files.UserLines;
        var known = new Dictionary<string, KnownUser>(StringComparer.Ordinal);
        await using (var read = Command(scope, ReadUsers, Text(System), TextArray([.. users.Select(u => u.SourcedId)]), TextArray([.. users.Select(u => u.Username)])))
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                known[reader.GetString(0)] = new KnownUser(reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                    reader.GetFieldValue<string[]>(5), reader.GetBoolean(6));
            }
        }

        var inFile = users.Select(u => u.SourcedId).ToHashSet(StringComparer.Ordinal);
        var mappedUsers = new Dictionary<string, Guid>(StringComparer.Ordinal);
        var referenced = files.EnrollmentLines.Select(e => e.UserSourcedId).Where(s => !inFile.Contains(s)).Distinct().ToArray();
        await using (var read = Command(scope, ReadUserMappings, Text(System), TextArray(referenced)))
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) mappedUsers[reader.GetString(0)] = reader.GetGuid(1);
        }

        var emailHolders = new Dictionary<string, Guid>(StringComparer.Ordinal);
        var subjectHolders = new Dictionary<string, Guid>(StringComparer.Ordinal);
        var active = users.Where(u => !u.Deleted).ToList();
        await using (var read = Command(scope, ReadHolders, TextArray([.. active.Select(u => u.Email.ToLowerInvariant())]), TextArray([.. active.Select(u => u.Username)])))
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                emailHolders[reader.GetString(0)] = reader.GetGuid(2);
                subjectHolders[reader.GetString(1)] = reader.GetGuid(2);
            }
        }

        var classIds = files.ClassLines.Select(c => c.SourcedId).Concat(files.EnrollmentLines.Select(e => e.ClassSourcedId)).Distinct().ToArray();
        var cohorts = new Dictionary<string, (Guid Id, string Name)>(StringComparer.Ordinal);
        await using (var read = Command(scope, ReadCohorts, Text(System), TextArray(classIds)))
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) cohorts[reader.GetString(0)] = (reader.GetGuid(1), reader.GetString(2));
        }

        // Every reference and every email or subject another user holds, checked before anything is written.
        foreach (var user in active)
        {
            var self = known.TryGetValue(user.SourcedId, out var k) ? k.Id : (Guid?)null;
            if (emailHolders.TryGetValue(user.Email.ToLowerInvariant(), out var holder) && holder != self)
            {
                errors.Add(new($"users.lines[{user.Line}].email", "another user, not this sourcedId, already has this email"));
            }

            if (subjectHolders.TryGetValue(user.Username, out holder) && holder != self)
            {
                errors.Add(new($"users.lines[{user.Line}].username", "another user, imported under another sourcedId, already has this username as their subject"));
            }
        }

        var classesInFile = files.ClassLines.Where(c => !c.Deleted).Select(c => c.SourcedId).ToHashSet(StringComparer.Ordinal);
        foreach (var enrollment in files.EnrollmentLines.Where(e => !e.Deleted))
        {
            if (!classesInFile.Contains(enrollment.ClassSourcedId) && !cohorts.ContainsKey(enrollment.ClassSourcedId) && !files.Rejected.Contains(enrollment.ClassSourcedId))
            {
                errors.Add(new($"enrollments.lines[{enrollment.Line}].classSourcedId", $"no class '{enrollment.ClassSourcedId}' in classes.csv or imported before"));
            }

            if (!inFile.Contains(enrollment.UserSourcedId) && !mappedUsers.ContainsKey(enrollment.UserSourcedId) && !files.Rejected.Contains(enrollment.UserSourcedId))
            {
                errors.Add(new($"enrollments.lines[{enrollment.Line}].userSourcedId", $"no user '{enrollment.UserSourcedId}' in users.csv or imported before"));
            }
        }

        if (errors.Count > 0) return ImportResult.Invalid(files.Lines, Sorted(errors));

        // What changes. Roles only grow: a SIS adds learner or educator, and what was granted in Hephaestus stays.
        var rolesFromEnrollments = files.EnrollmentLines.Where(e => !e.Deleted).ToLookup(e => e.UserSourcedId, e => e.MemberRole, StringComparer.Ordinal);
        var userTally = new Tally();
        var newUsers = new List<(Guid Id, RosterUser Line, string Roles)>();
        var changedUsers = new List<(Guid Id, RosterUser Line, string Roles)>();
        var userMappings = new List<(string Source, Guid Id)>();
        var userIds = new Dictionary<string, Guid>(mappedUsers, StringComparer.Ordinal);
        var deletedUsers = new HashSet<Guid>();
        foreach (var user in users)
        {
            known.TryGetValue(user.SourcedId, out var current);
            if (user.Deleted)
            {
                if (current is null) continue;
                deletedUsers.Add(current.Id);
                userTally.Deleted++;
                continue;
            }

            var derived = user.Roles.Concat(rolesFromEnrollments[user.SourcedId]).ToList();
            if (current is null)
            {
                // A user the files give no role is a learner; one who exists keeps what they have.
                if (derived.Count == 0) derived.Add(Role.Learner);
                var id = Guid.CreateVersion7();
                newUsers.Add((id, user, string.Join(',', derived.Distinct().Order(StringComparer.Ordinal))));
                userMappings.Add((user.SourcedId, id));
                userIds[user.SourcedId] = id;
                userTally.Created++;
                continue;
            }

            userIds[user.SourcedId] = current.Id;
            if (!current.Mapped) userMappings.Add((user.SourcedId, current.Id));
            var roles = current.Roles.Concat(derived).Distinct().Order(StringComparer.Ordinal).ToArray();
            var same = current.Subject == user.Username && current.Email == user.Email && current.DisplayName == user.DisplayName
                && current.Roles.Order(StringComparer.Ordinal).SequenceEqual(roles, StringComparer.Ordinal);
            if (same && current.Mapped) userTally.Unchanged++;
            else
            {
                changedUsers.Add((current.Id, user, string.Join(',', roles)));
                userTally.Updated++;
            }
        }

        var cohortTally = new Tally();
        var newCohorts = new List<(Guid Id, string Name, string Source)>();
        var renamedCohorts = new List<(Guid Id, string Name)>();
        var deletedCohorts = new HashSet<Guid>();
        var cohortIds = cohorts.ToDictionary(c => c.Key, c => c.Value.Id, StringComparer.Ordinal);
        foreach (var line in files.ClassLines)
        {
            var exists = cohorts.TryGetValue(line.SourcedId, out var cohort);
            if (line.Deleted)
            {
                if (!exists) continue;
                deletedCohorts.Add(cohort.Id);
                cohortIds.Remove(line.SourcedId);
                cohortTally.Deleted++;
            }
            else if (!exists)
            {
                var id = Guid.CreateVersion7();
                newCohorts.Add((id, line.Title, line.SourcedId));
                cohortIds[line.SourcedId] = id;
                cohortTally.Created++;
            }
            else if (cohort.Name != line.Title)
            {
                renamedCohorts.Add((cohort.Id, line.Title));
                cohortTally.Updated++;
            }
            else
            {
                cohortTally.Unchanged++;
            }
        }

        var existing = new Dictionary<(Guid Cohort, Guid User), string>();
        await using (var read = Command(scope, ReadMemberships, Text(System), Uuids([.. cohortIds.Values]), Uuids([.. deletedUsers])))
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) existing[(reader.GetGuid(0), reader.GetGuid(1))] = reader.GetString(2);
        }

        // A user enrolled twice in a class (student and teacher) is its educator.
        var wanted = new SortedDictionary<(Guid Cohort, Guid User), string>();
        var removed = new SortedSet<(Guid Cohort, Guid User)>();
        foreach (var enrollment in files.EnrollmentLines)
        {
            if (!cohortIds.TryGetValue(enrollment.ClassSourcedId, out var cohortId) || !userIds.TryGetValue(enrollment.UserSourcedId, out var userId)) continue;
            if (enrollment.Deleted)
            {
                if (existing.ContainsKey((cohortId, userId))) removed.Add((cohortId, userId));
            }
            else if (!wanted.TryGetValue((cohortId, userId), out var role) || role != Role.Educator)
            {
                wanted[(cohortId, userId)] = enrollment.MemberRole;
            }
        }

        foreach (var key in existing.Keys.Where(k => deletedUsers.Contains(k.User))) removed.Add(key);
        var memberTally = new Tally { Deleted = removed.Count(k => !deletedCohorts.Contains(k.Cohort)) };
        var upserts = new List<((Guid Cohort, Guid User) Key, string Role)>();
        foreach (var (key, role) in wanted)
        {
            if (removed.Contains(key)) continue;
            if (!existing.TryGetValue(key, out var had)) memberTally.Created++;
            else if (had != role) memberTally.Updated++;
            else
            {
                memberTally.Unchanged++;
                continue;
            }

            upserts.Add((key, role));
        }

        var counts = new Dictionary<string, ImportCounts>(StringComparer.Ordinal)
        {
            ["users"] = userTally.ToCounts(), ["cohorts"] = cohortTally.ToCounts(), ["memberships"] = memberTally.ToCounts(),
        };

        // One statement per table, each in key order, all in one round trip.
        newUsers.Sort((a, b) => a.Id.CompareTo(b.Id));
        changedUsers.Sort((a, b) => a.Id.CompareTo(b.Id));
        await using var batch = scope.Batch();
        batch.BatchCommands.Add(BatchCommand(InsertUsers, Uuids([.. newUsers.Select(u => u.Id)]), TextArray([.. newUsers.Select(u => u.Line.Username)]),
            TextArray([.. newUsers.Select(u => u.Line.Email)]), TextArray([.. newUsers.Select(u => u.Line.DisplayName)]), TextArray([.. newUsers.Select(u => u.Roles)])));
        batch.BatchCommands.Add(BatchCommand(UpdateUsers, Uuids([.. changedUsers.Select(u => u.Id)]), TextArray([.. changedUsers.Select(u => u.Line.Username)]),
            TextArray([.. changedUsers.Select(u => u.Line.Email)]), TextArray([.. changedUsers.Select(u => u.Line.DisplayName)]), TextArray([.. changedUsers.Select(u => u.Roles)])));
        batch.BatchCommands.Add(BatchCommand(InsertUserMappings, Text(System), TextArray([.. userMappings.Select(m => m.Source)]), Uuids([.. userMappings.Select(m => m.Id)])));
        batch.BatchCommands.Add(BatchCommand(DeleteCohorts, Uuids([.. deletedCohorts.Order()])));
        batch.BatchCommands.Add(BatchCommand(InsertCohorts, Uuids([.. newCohorts.Select(c => c.Id)]), TextArray([.. newCohorts.Select(c => c.Name)])));
        batch.BatchCommands.Add(BatchCommand(UpdateCohorts, Uuids([.. renamedCohorts.Select(c => c.Id)]), TextArray([.. renamedCohorts.Select(c => c.Name)])));
        batch.BatchCommands.Add(BatchCommand(InsertCohortMappings, Text(System), TextArray([.. newCohorts.Select(c => c.Source)]), Uuids([.. newCohorts.Select(c => c.Id)])));
        batch.BatchCommands.Add(BatchCommand(DeleteMemberships, Uuids([.. removed.Select(k => k.Cohort)]), Uuids([.. removed.Select(k => k.User)])));
        batch.BatchCommands.Add(BatchCommand(UpsertMemberships, Uuids([.. upserts.Select(u => u.Key.Cohort)]), Uuids([.. upserts.Select(u => u.Key.User)]),
            TextArray([.. upserts.Select(u => u.Role)])));
        var importId = Guid.CreateVersion7();
        batch.BatchCommands.Add(ImportAudit.Record(importId, "oneroster", actor, files.Lines, counts));
        try
        {
            await batch.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return new ImportResult(ImportOutcome.Conflict, files.Lines);
        }

        await scope.CommitAsync(ct);
        return new ImportResult(ImportOutcome.Imported, files.Lines, counts, ImportId: importId);
    }

    /// <summary>What the files say of one another: emails and usernames once each, and enrollments of live rows.</summary>
    static void CheckWithinFiles(OneRosterFiles files, List<ValidationError> errors)
    {
        var emails = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var usernames = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var user in files.UserLines.Where(u => !u.Deleted))
        {
            if (!emails.TryAdd(user.Email, user.Line)) errors.Add(new($"users.lines[{user.Line}].email", $"repeats line {emails[user.Email]}"));
            if (!usernames.TryAdd(user.Username, user.Line)) errors.Add(new($"users.lines[{user.Line}].username", $"repeats line {usernames[user.Username]}"));
        }

        var deletedClasses = files.ClassLines.Where(c => c.Deleted).Select(c => c.SourcedId).ToHashSet(StringComparer.Ordinal);
        var deletedUsers = files.UserLines.Where(u => u.Deleted).Select(u => u.SourcedId).ToHashSet(StringComparer.Ordinal);
        foreach (var enrollment in files.EnrollmentLines.Where(e => !e.Deleted))
        {
            if (deletedClasses.Contains(enrollment.ClassSourcedId))
            {
                errors.Add(new($"enrollments.lines[{enrollment.Line}].classSourcedId", "the class is marked tobedeleted in classes.csv"));
            }

            if (deletedUsers.Contains(enrollment.UserSourcedId))
            {
                errors.Add(new($"enrollments.lines[{enrollment.Line}].userSourcedId", "the user is marked tobedeleted (or not enabled) in users.csv"));
            }
        }
    }

    /// <summary>Errors in file order, then line order, so a long report reads top to bottom.</summary>
    internal static List<ValidationError> Sorted(IEnumerable<ValidationError> errors) =>
        [.. errors.OrderBy(e => LineOf(e.Path)).ThenBy(e => e.Path, StringComparer.Ordinal)];

    static (int File, int Line) LineOf(string path)
    {
        var file = path.StartsWith(OneRosterFiles.Users, StringComparison.Ordinal) ? 0
            : path.StartsWith(OneRosterFiles.Classes, StringComparison.Ordinal) ? 1
            : path.StartsWith(OneRosterFiles.Enrollments, StringComparison.Ordinal) ? 2 : 0;
        var open = path.IndexOf('[', StringComparison.Ordinal);
        var close = path.IndexOf(']', StringComparison.Ordinal);
        return (file, open >= 0 && close > open && int.TryParse(path.AsSpan(open + 1, close - open - 1), out var line) ? line : 0);
    }

    static NpgsqlCommand Command(ActorScope scope, string sql, params NpgsqlParameter[] parameters)
    {
        var command = scope.Command(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    static NpgsqlBatchCommand BatchCommand(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }
}
