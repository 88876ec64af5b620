using System.Text.RegularExpressions;
using Hephaestus.Domain;
using Hephaestus.Domain.Identity;

namespace Hephaestus.Data.Imports;

/// <summary>A line of users.csv as Hephaestus uses it.</summary>
public sealed record RosterUser(int Line, string SourcedId, bool Deleted, string Username, string Email, string DisplayName, IReadOnlyList<string> Roles);

/// <summary>A line of classes.csv: a class becomes a cohort named by its title.</summary>
public sealed record RosterClass(int Line, string SourcedId, bool Deleted, string Title);

/// <summary>A line of enrollments.csv: a student is a cohort's learner, a teacher (or administrator, proctor) its educator.</summary>
public sealed record RosterEnrollment(int Line, string SourcedId, bool Deleted, string ClassSourcedId, string UserSourcedId, string MemberRole);

/// <summary>
/// The three files of a OneRoster 1.2 CSV export that make users, cohorts and memberships, read by header name (any
/// column order, unknown columns ignored, names matched ignoring case). Every bad line is kept as an error keyed
/// <c>&lt;file&gt;.lines[n].&lt;column&gt;</c>, n the line the record starts on (the header is line 1).
/// Roles (docs/operations.md): a user is a learner; an educator when users.csv's <c>role</c>/<c>roles</c> column (OneRoster
/// 1.1, or an exporter that keeps it) or an enrollment names them teacher, aide, administrator (any kind), proctor or
/// principal; guardians, parents and relatives are refused (Hephaestus has no such role). A SIS never makes anyone an
/// admin or author: those are granted in Hephaestus and an import keeps them.
/// </summary>
public sealed partial class OneRosterFiles
{
    public const string Users = "users";
    public const string Classes = "classes";
    public const string Enrollments = "enrollments";
    public static readonly IReadOnlyList<string> Parts = [Users, Classes, Enrollments];

    /// <summary>The most lines an import reads from one file; a district's roster is well below it.</summary>
    public const int MaxLines = 500_000;

    static readonly HashSet<string> EducatorRoles = new(StringComparer.OrdinalIgnoreCase)
    {
        "teacher", "aide", "administrator", "districtAdministrator", "siteAdministrator", "systemAdministrator", "proctor", "principal",
    };

    public List<RosterUser> UserLines { get; } = [];
    public List<RosterClass> ClassLines { get; } = [];
    public List<RosterEnrollment> EnrollmentLines { get; } = [];
    public List<ValidationError> Errors { get; } = [];

    /// <summary>The sourcedIds of bad lines, so that an enrollment naming one is not reported again as naming nothing.</summary>
    public HashSet<string> Rejected { get; } = new(StringComparer.Ordinal);
    public int Lines { get; private set; }

    /// <summary>Which files were given; an import needs all three (a missing one is an error of the import, not of a line).</summary>
    public HashSet<string> Read { get; } = new(StringComparer.Ordinal);

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+$")]
    private static partial Regex EmailShape();

    /// <summary>Reads one of the three files (<see cref="Parts"/>) from a stream, streaming.</summary>
    public Task ReadAsync(string part, Stream stream, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Read.Add(part);
        return part switch
        {
            Users => ReadTableAsync(part, stream, ["sourcedId", "username", "givenName", "familyName", "email"], ReadUser, ct),
            Classes => ReadTableAsync(part, stream, ["sourcedId", "title"], ReadClass, ct),
            Enrollments => ReadTableAsync(part, stream, ["sourcedId", "classSourcedId", "userSourcedId", "role"], ReadEnrollment, ct),
            _ => throw new ArgumentException($"not a OneRoster file of the import: {part}", nameof(part)),
        };
    }

    /// <summary>A line's fields by header name, and its errors.</summary>
    sealed class Row(OneRosterFiles files, string part, int line, Dictionary<string, int> header, IReadOnlyList<string> fields)
    {
        public int Line => line;

        public string this[string column] =>
            header.TryGetValue(column, out var i) && i < fields.Count ? fields[i].Trim() : "";

        public bool Has(string column) => header.ContainsKey(column);

        public void Error(string column, string message) => files.Errors.Add(new($"{part}.lines[{line}].{column}", message));

        public string Text(string column, int max, bool required = true)
        {
            var value = this[column];
            if (value.Length == 0 && required) Error(column, "is required");
            else if (value.Length > max) Error(column, $"must be at most {max} characters long");
            return value;
        }

        /// <summary>OneRoster's status: empty or active (bulk files leave it empty), or tobedeleted.</summary>
        public bool Deleted()
        {
            var status = this["status"];
            if (status.Length == 0 || status.Equals("active", StringComparison.OrdinalIgnoreCase)) return false;
            if (status.Equals("tobedeleted", StringComparison.OrdinalIgnoreCase)) return true;
            Error("status", "must be active, tobedeleted or empty");
            return false;
        }
    }

    async Task ReadTableAsync(string part, Stream stream, string[] required, Action<Row> read, CancellationToken ct)
    {
        var csv = CsvReader.Utf8(stream);
        try
        {
            if (await csv.ReadAsync(ct) is not { } head)
            {
                Errors.Add(new($"{part}.lines[1]", "the file is empty: a header line is required"));
                return;
            }

            var header = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < head.Fields.Count; i++) header.TryAdd(head.Fields[i].Trim(), i);
            var missing = required.Where(c => !header.ContainsKey(c)).ToList();
            foreach (var column in missing) Errors.Add(new($"{part}.lines[1].{column}", "the header has no such column"));
            if (missing.Count > 0) return;

            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            while (await csv.ReadAsync(ct) is { } record)
            {
                if (++Lines > MaxLines)
                {
                    Errors.Add(new($"{part}.lines[{record.Line}]", $"an import reads at most {MaxLines} lines per file"));
                    return;
                }

                var row = new Row(this, part, record.Line, header, record.Fields);
                if (row["sourcedId"] is { Length: > 0 } id && !seen.TryAdd(id, record.Line))
                {
                    row.Error("sourcedId", $"repeats line {seen[id]}");
                    continue;
                }

                read(row);
            }
        }
        catch (CsvFormatException e)
        {
            Errors.Add(new($"{part}.lines[{e.Line}]", e.Message));
        }
    }

    void ReadUser(Row row)
    {
        var errors = Errors.Count;
        var id = row.Text("sourcedId", 255);
        var deleted = row.Deleted();
        // enabledUser false is read as OneRoster means it: the account is not to be used, as a deleted one.
        var enabled = row["enabledUser"];
        if (enabled.Length > 0)
        {
            if (!bool.TryParse(enabled, out var isEnabled)) row.Error("enabledUser", "must be true or false");
            else if (!isEnabled) deleted = true;
        }
        var username = row.Text("username", 255);
        var email = row.Text("email", 320);
        if (email.Length > 0 && !EmailShape().IsMatch(email)) row.Error("email", "must be an email address (name@domain)");
        var given = row.Has("preferredGivenName") && row["preferredGivenName"].Length > 0 ? row["preferredGivenName"] : row["givenName"];
        var name = $"{given} {row["familyName"]}".Trim();
        if (name.Length == 0) row.Error("givenName", "givenName or familyName is required");
        else if (name.Length > 200) row.Error("givenName", "givenName and familyName together must be at most 200 characters long");
        var roles = new List<string>();
        foreach (var column in new[] { "role", "roles" }.Where(row.Has))
        {
            foreach (var role in row[column].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (MapRole(role) is { } mapped) roles.Add(mapped);
                else row.Error(column, $"'{role}' is not a role Hephaestus holds (student, teacher, aide, administrator, proctor, principal)");
            }
        }

        if (Errors.Count == errors) UserLines.Add(new RosterUser(row.Line, id, deleted, username, email, name, roles));
        else Rejected.Add(id);
    }

    void ReadClass(Row row)
    {
        var errors = Errors.Count;
        var id = row.Text("sourcedId", 255);
        var deleted = row.Deleted();
        var title = row.Text("title", 200);
        if (Errors.Count == errors) ClassLines.Add(new RosterClass(row.Line, id, deleted, title));
        else Rejected.Add(id);
    }

    void ReadEnrollment(Row row)
    {
        var errors = Errors.Count;
        var id = row.Text("sourcedId", 255);
        var deleted = row.Deleted();
        var classId = row.Text("classSourcedId", 255);
        var userId = row.Text("userSourcedId", 255);
        var role = row.Text("role", 64);
        var memberRole = role.Length == 0 ? null : MapRole(role);
        if (role.Length > 0 && memberRole is null) row.Error("role", $"'{role}' is not a role a cohort holds (student, teacher, administrator, proctor, aide)");
        if (Errors.Count == errors) EnrollmentLines.Add(new RosterEnrollment(row.Line, id, deleted, classId, userId, memberRole!));
    }

    /// <summary>A OneRoster role as the Hephaestus role it gives (null when it gives none).</summary>
    static string? MapRole(string role) =>
        role.Equals("student", StringComparison.OrdinalIgnoreCase) ? Role.Learner
        : EducatorRoles.Contains(role) ? Role.Educator
        : null;
}
