using System.Net;
using System.Text;
using System.Text.Json;
using Hephaestus.Server.Cli;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Imports;

/// <summary>A OneRoster export (3 classes, 2 teachers, 10 students) through POST /api/v1/imports/oneroster and the CLI verb.</summary>
public class OneRosterImportTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    const string UsersHeader = "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password";

    /// <summary>The three files of one school, every id and address unique to <paramref name="tag"/>.</summary>
    sealed class Roster(string tag)
    {
        public string Tag { get; } = tag;
        public List<string> Users { get; } = [UsersHeader];
        public List<string> Classes { get; } = ["sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods"];
        public List<string> Enrollments { get; } = ["sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate"];

        public static Roster School(string tag)
        {
            var r = new Roster(tag);
            r.Users.Add($"{tag}-t1,,,true,org1,t1.{tag},,\"Ada, PhD\",Lovelace,,T1,t1.{tag}@school.test,,,,,");
            r.Users.Add($"{tag}-t2,,,true,org1,t2.{tag},,Grace,\"Hopper \"\"Amazing\"\"\",,T2,t2.{tag}@school.test,,,,,");
            for (var i = 0; i < 10; i++)
            {
                var family = i == 0 ? "\"O'Brien, \"\"Bo\"\"\"" : $"Student{i}";
                r.Users.Add($"{tag}-s{i},active,2026-01-01,true,org1,s{i}.{tag},,Kid{i},{family},,S{i},s{i}.{tag}@school.test,,,,05,");
            }

            for (var c = 0; c < 3; c++) r.Classes.Add($"{tag}-c{c},,,\"Math {c}, Room \"\"{c}\"\"\",05,course1,M{c},scheduled,,org1,term1,,,1");
            r.Enrollments.Add($"{tag}-e-t1c0,,,{tag}-c0,org1,{tag}-t1,teacher,true,,");
            r.Enrollments.Add($"{tag}-e-t1c1,,,{tag}-c1,org1,{tag}-t1,teacher,true,,");
            r.Enrollments.Add($"{tag}-e-t2c2,,,{tag}-c2,org1,{tag}-t2,teacher,true,,");
            for (var i = 0; i < 10; i++) r.Enrollments.Add($"{tag}-e-s{i},,,{tag}-c{i % 3},org1,{tag}-s{i},student,false,,");
            return r;
        }

        /// <summary>As a SIS sends it: CRLF line ends, and users.csv with a byte order mark.</summary>
        public MultipartFormDataContent Content()
        {
            var content = new MultipartFormDataContent();
            content.Add(new ByteArrayContent([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(string.Join("\r\n", Users) + "\r\n")]), "users", "users.csv");
            content.Add(new StringContent(string.Join("\r\n", Classes) + "\r\n", Encoding.UTF8, "text/csv"), "classes", "classes.csv");
            content.Add(new StringContent(string.Join("\r\n", Enrollments) + "\r\n", Encoding.UTF8, "text/csv"), "enrollments", "enrollments.csv");
            return content;
        }

        public void WriteTo(string folder)
        {
            File.WriteAllText(Path.Combine(folder, "users.csv"), string.Join("\r\n", Users) + "\r\n");
            File.WriteAllText(Path.Combine(folder, "classes.csv"), string.Join("\r\n", Classes) + "\r\n");
            File.WriteAllText(Path.Combine(folder, "enrollments.csv"), string.Join("\r\n", Enrollments) + "\r\n");
        }
    }

    static string NewTag() => "r" + Guid.NewGuid().ToString("N")[..8];

    async Task<HttpClient> AdminAsync() => (await db.UserAsync($"admin-{Guid.NewGuid():N}@example.org", "admin")).Client;

    /// <summary>The rows of one roster: its users, its cohorts, its memberships, its mappings.</summary>
    async Task<(long Users, long Cohorts, long Members, long Mappings)> RowsAsync(string tag) => (
        (await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.users WHERE email LIKE '%.' || $1 || '@school.test'", tag)),
        (await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.cohorts c JOIN hephaestus.external_ids x ON x.cohort_id = c.id WHERE x.source_id LIKE $1 || '-%'", tag)),
        (await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.cohort_members m JOIN hephaestus.users u ON u.id = m.user_id WHERE u.email LIKE '%.' || $1 || '@school.test'", tag)),
        (await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.external_ids WHERE source_id LIKE $1 || '-%'", tag)));

    static void AssertCounts(JsonElement body, string kind, int created, int updated, int unchanged, int deleted)
    {
        var c = body.GetProperty("counts").GetProperty(kind);
        Assert.Equal((created, updated, unchanged, deleted),
            (c.GetProperty("created").GetInt32(), c.GetProperty("updated").GetInt32(), c.GetProperty("unchanged").GetInt32(), c.GetProperty("deleted").GetInt32()));
    }

    static async Task<JsonElement> ImportedAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await Json.ReadAsync(response);
    }

    [Fact]
    public async Task A_roster_becomes_users_cohorts_and_memberships_and_importing_it_again_changes_nothing()
    {
        var admin = await AdminAsync();
        var roster = Roster.School(NewTag());

        var first = await ImportedAsync(await admin.PostAsync("/api/v1/imports/oneroster", roster.Content()));
        AssertCounts(first, "users", 12, 0, 0, 0);
        AssertCounts(first, "cohorts", 3, 0, 0, 0);
        AssertCounts(first, "memberships", 13, 0, 0, 0);
        Assert.Equal(3 + 12 + 13, first.GetProperty("lines").GetInt32());
        Assert.Equal((12L, 3L, 13L, 15L), await RowsAsync(roster.Tag));

        // Quoted names with commas and doubled quotes arrive whole; the username is the subject.
        Assert.Equal("Kid0 O'Brien, \"Bo\"", await db.ScalarAsync<string>("SELECT display_name FROM hephaestus.users WHERE email = $1", $"s0.{roster.Tag}@school.test"));
        Assert.Equal("Grace Hopper \"Amazing\"", await db.ScalarAsync<string>("SELECT display_name FROM hephaestus.users WHERE email = $1", $"t2.{roster.Tag}@school.test"));
        Assert.Equal($"t1.{roster.Tag}", await db.ScalarAsync<string>("SELECT external_subject FROM hephaestus.users WHERE email = $1", $"t1.{roster.Tag}@school.test"));
        Assert.Equal("Math 1, Room \"1\"", await db.ScalarAsync<string>(
            "SELECT c.name FROM hephaestus.cohorts c JOIN hephaestus.external_ids x ON x.cohort_id = c.id WHERE x.source_id = $1", $"{roster.Tag}-c1"));

        // Teachers are educators of their classes (and hold the role); students learners.
        Assert.Equal(["educator"], (await db.ScalarAsync<string[]>("SELECT roles FROM hephaestus.users WHERE email = $1", $"t1.{roster.Tag}@school.test"))!);
        Assert.Equal(["learner"], (await db.ScalarAsync<string[]>("SELECT roles FROM hephaestus.users WHERE email = $1", $"s4.{roster.Tag}@school.test"))!);
        Assert.Equal(2L, await db.ScalarAsync<long>("""
            SELECT count(*) FROM hephaestus.cohort_members m JOIN hephaestus.users u ON u.id = m.user_id
            WHERE u.email = $1 AND m.member_role = 'educator'
            """, $"t1.{roster.Tag}@school.test"));
        Assert.Equal(4L, await db.ScalarAsync<long>("""
            SELECT count(*) FROM hephaestus.cohort_members m JOIN hephaestus.external_ids x ON x.cohort_id = m.cohort_id
            WHERE x.source_id = $1 AND m.member_role = 'learner'
            """, $"{roster.Tag}-c0"));

        // Who imported what is audited.
        var importId = first.GetProperty("importId").GetGuid();
        Assert.Equal(12, await db.ScalarAsync<int>("SELECT (counts -> 'users' ->> 'created')::int FROM hephaestus.imports WHERE id = $1 AND actor_id IS NOT NULL", importId));

        var again = await ImportedAsync(await admin.PostAsync("/api/v1/imports/oneroster", roster.Content()));
        AssertCounts(again, "users", 0, 0, 12, 0);
        AssertCounts(again, "cohorts", 0, 0, 3, 0);
        AssertCounts(again, "memberships", 0, 0, 13, 0);
        Assert.Equal((12L, 3L, 13L, 15L), await RowsAsync(roster.Tag));
    }

    [Fact]
    public async Task A_modified_export_updates_renames_and_removes_what_it_marks()
    {
        var admin = await AdminAsync();
        var roster = Roster.School(NewTag());
        await ImportedAsync(await admin.PostAsync("/api/v1/imports/oneroster", roster.Content()));
        var s3 = await db.ScalarAsync<Guid>("SELECT id FROM hephaestus.users WHERE email = $1", $"s3.{roster.Tag}@school.test");

        // t2 loses their only class and keeps their roles: an export that names no role for a user changes none.
        roster.Users[6] = roster.Users[6].Replace($"s3.{roster.Tag}@school.test", $"s3.new.{roster.Tag}@school.test", StringComparison.Ordinal).Replace("Student3", "Renamed", StringComparison.Ordinal);
        roster.Classes[2] = roster.Classes[2].Replace("Math 1", "Algebra 1", StringComparison.Ordinal);
        roster.Classes[3] = $"{roster.Tag}-c2,tobedeleted,2026-02-01,\"Math 2\",05,course1,M2,scheduled,,org1,term1,,,1";
        roster.Enrollments.RemoveAll(e => e.Contains($",{roster.Tag}-c2,", StringComparison.Ordinal));
        roster.Enrollments[roster.Enrollments.FindIndex(e => e.StartsWith($"{roster.Tag}-e-s0,", StringComparison.Ordinal))] = $"{roster.Tag}-e-s0,tobedeleted,2026-02-01,{roster.Tag}-c0,org1,{roster.Tag}-s0,student,false,,";

        var changed = await ImportedAsync(await admin.PostAsync("/api/v1/imports/oneroster", roster.Content()));
        AssertCounts(changed, "users", 0, 1, 11, 0);
        AssertCounts(changed, "cohorts", 0, 1, 1, 1);
        // s0's membership is removed by its line; c2's three went with the cohort (not counted as memberships).
        AssertCounts(changed, "memberships", 0, 0, 8, 1);
        Assert.Equal(("Kid3 Renamed", $"s3.new.{roster.Tag}@school.test"), (
            await db.ScalarAsync<string>("SELECT display_name FROM hephaestus.users WHERE id = $1", s3),
            await db.ScalarAsync<string>("SELECT email FROM hephaestus.users WHERE id = $1", s3)));
        Assert.Equal((12L, 2L, 8L, 14L), await RowsAsync(roster.Tag));
        Assert.Equal(["educator"], (await db.ScalarAsync<string[]>("SELECT roles FROM hephaestus.users WHERE email = $1", $"t2.{roster.Tag}@school.test"))!);
    }

    [Fact]
    public async Task Three_bad_lines_are_each_reported_by_file_line_and_column_and_nothing_is_written()
    {
        var admin = await AdminAsync();
        var roster = Roster.School(NewTag());
        roster.Users[4] = roster.Users[4].Replace($"s1.{roster.Tag}@school.test", "not-an-email", StringComparison.Ordinal); // line 5
        roster.Users.Add($",,,true,org1,x.{roster.Tag},,Nameless,Row,,X,x.{roster.Tag}@school.test,,,,,");                     // line 14: no sourcedId
        roster.Enrollments[3] = roster.Enrollments[3].Replace($"{roster.Tag}-c2,", $"{roster.Tag}-nowhere,", StringComparison.Ordinal); // line 4
        var before = await db.ScalarAsync<long>("SELECT (SELECT count(*) FROM hephaestus.users) + (SELECT count(*) FROM hephaestus.cohorts) + (SELECT count(*) FROM hephaestus.cohort_members) + (SELECT count(*) FROM hephaestus.imports)");

        var problem = await Json.ProblemAsync(await admin.PostAsync("/api/v1/imports/oneroster", roster.Content()), 422);

        var errors = problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToList();
        Assert.Equal(["/users/lines/5/email", "/users/lines/14/sourcedId", "/enrollments/lines/4/classSourcedId"], errors);
        Assert.Contains("3 line(s)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal((0L, 0L, 0L, 0L), await RowsAsync(roster.Tag));
        Assert.Equal(before, await db.ScalarAsync<long>("SELECT (SELECT count(*) FROM hephaestus.users) + (SELECT count(*) FROM hephaestus.cohorts) + (SELECT count(*) FROM hephaestus.cohort_members) + (SELECT count(*) FROM hephaestus.imports)"));
    }

    [Fact]
    public async Task Two_imports_of_the_same_file_at_once_make_one_set_of_rows()
    {
        var admin = await AdminAsync();
        var roster = Roster.School(NewTag());

        var results = await Task.WhenAll(admin.PostAsync("/api/v1/imports/oneroster", roster.Content()), admin.PostAsync("/api/v1/imports/oneroster", roster.Content()));

        var bodies = await Task.WhenAll(results.Select(ImportedAsync));
        Assert.Equal([12, 0], bodies.Select(b => b.GetProperty("counts").GetProperty("users").GetProperty("created").GetInt32()).Order().Reverse());
        Assert.Equal((12L, 3L, 13L, 15L), await RowsAsync(roster.Tag));
    }

    [Fact]
    public async Task A_user_already_holding_an_email_is_a_line_error_and_a_missing_file_is_named()
    {
        var admin = await AdminAsync();
        var roster = Roster.School(NewTag());
        await db.CreateUserAsync($"s7.{roster.Tag}@school.test", "learner");

        var problem = await Json.ProblemAsync(await admin.PostAsync("/api/v1/imports/oneroster", roster.Content()), 422);
        Assert.Equal(["/users/lines/11/email"], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));

        var partial = new MultipartFormDataContent { { new StringContent(string.Join("\n", roster.Classes)), "classes" } };
        var missing = await Json.ProblemAsync(await admin.PostAsync("/api/v1/imports/oneroster", partial), 422);
        Assert.Equal(["/users", "/enrollments"], missing.GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task Learners_and_educators_may_not_import_a_roster()
    {
        var roster = Roster.School(NewTag());
        foreach (var role in new[] { "learner", "educator", "author" })
        {
            var (_, client) = await db.UserAsync($"{role}-{Guid.NewGuid():N}@example.org", role);
            await Json.ProblemAsync(await client.PostAsync("/api/v1/imports/oneroster", roster.Content()), 403);
        }

        Assert.Equal((0L, 0L, 0L, 0L), await RowsAsync(roster.Tag));
    }

    [Fact]
    public async Task The_cli_verb_imports_a_folder_and_reports_bad_lines_with_exit_code_1()
    {
        var roster = Roster.School(NewTag());
        var folder = Directory.CreateTempSubdirectory("oneroster-").FullName;
        try
        {
            roster.WriteTo(folder);
            var output = new StringWriter();
            Assert.Equal(0, await ImportCommands.OneRosterAsync(db.Owner, folder, output, TextWriter.Null, default));
            Assert.Contains("users: 12 created, 0 updated, 0 unchanged, 0 deleted", output.ToString(), StringComparison.Ordinal);
            Assert.Equal((12L, 3L, 13L, 15L), await RowsAsync(roster.Tag));
            Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.imports WHERE kind = 'oneroster' AND actor_id IS NULL AND (counts -> 'users' ->> 'created')::int = 12"));

            roster.Enrollments[2] = roster.Enrollments[2].Replace($",{roster.Tag}-t1,", ",nobody,", StringComparison.Ordinal);
            roster.WriteTo(folder);
            var error = new StringWriter();
            Assert.Equal(1, await ImportCommands.OneRosterAsync(db.Owner, folder, TextWriter.Null, error, default));
            Assert.Contains("/enrollments/lines/3/userSourcedId: no user 'nobody'", error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
