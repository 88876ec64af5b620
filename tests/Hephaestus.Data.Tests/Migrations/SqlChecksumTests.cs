using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Hephaestus.Data.Tests.Migrations;

/// <summary>
/// The shipped SQL files are the schema's history: databases ran them as they were. Their committed checksums
/// (src/Hephaestus.Data/Sql/checksums.sha256) make an edit visible, and every migration names files that ship.
/// </summary>
public partial class SqlChecksumTests
{
    const string Rule = "a shipped SQL file is never edited: add a new file in a new migration";
    const string ResourcePrefix = "Hephaestus.Data.Sql.";

    [Fact]
    public void Every_shipped_SQL_file_has_its_committed_checksum()
    {
        var list = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "checksums.sha256"));
        var problems = Problems(ShippedFiles(), list);
        Assert.True(problems.Count == 0, $"{Rule}.\n{string.Join('\n', problems)}");
    }

    [Fact]
    public void The_checksum_check_finds_an_edited_file_a_file_without_a_line_and_a_listed_file_that_is_missing()
    {
        var list = $"# comment\n{Sha256("a")}  kept.sql\n{Sha256("b")}  edited.sql\n{Sha256("c")}  gone.sql\n";
        var files = new Dictionary<string, byte[]>
        {
            ["kept.sql"] = Encoding.UTF8.GetBytes("a"),
            ["edited.sql"] = Encoding.UTF8.GetBytes("b, edited"),
            ["new.sql"] = Encoding.UTF8.GetBytes("d"),
        };

        var problems = Problems(files, list);

        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("edited.sql: changed", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("new.sql: no line", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("gone.sql: listed", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_migration_runs_embedded_files_and_every_embedded_file_belongs_to_one_migration()
    {
        var ids = SchemaMigrations.All.Select(m => m.Id).ToList();
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());

        var named = SchemaMigrations.All.SelectMany(m => m.Up.Concat(m.Down)).ToList();
        Assert.All(SchemaMigrations.All, m => Assert.NotEmpty(m.Up));
        Assert.All(SchemaMigrations.All, m => Assert.NotEmpty(m.Down));
        foreach (var file in named) Assert.False(string.IsNullOrWhiteSpace(SqlScripts.Load(file)), file);
        Assert.Equal(ShippedFiles().Keys.Order(StringComparer.Ordinal), named.Order(StringComparer.Ordinal));
    }

    /// <summary>The embedded SQL files by name, as the bytes that ship.</summary>
    static Dictionary<string, byte[]> ShippedFiles()
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames()
                     .Where(r => r.StartsWith(ResourcePrefix, StringComparison.Ordinal) && r.EndsWith(".sql", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var bytes = new MemoryStream();
            stream.CopyTo(bytes);
            files[resource[ResourcePrefix.Length..]] = bytes.ToArray();
        }

        return files;
    }

    /// <summary>What disagrees between the files and a list in `sha256sum` format (lines starting with # are comments).</summary>
    static List<string> Problems(IReadOnlyDictionary<string, byte[]> files, string list)
    {
        var problems = new List<string>();
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in list.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var match = ChecksumLine().Match(line);
            if (!match.Success)
            {
                problems.Add($"checksums.sha256: not a `sha256  file` line: {line}");
                continue;
            }

            var (expected, name) = (match.Groups[1].Value, match.Groups[2].Value);
            listed.Add(name);
            if (!files.TryGetValue(name, out var content)) problems.Add($"{name}: listed in checksums.sha256 but not shipped (missing file)");
            else if (Sha256(content) != expected) problems.Add($"{name}: changed since it shipped (sha256 {Sha256(content)}, listed {expected})");
        }

        foreach (var name in files.Keys.Where(n => !listed.Contains(n)).Order(StringComparer.Ordinal))
        {
            problems.Add($"{name}: no line in checksums.sha256; a new file adds one: {Sha256(files[name])}  {name}");
        }

        return problems;
    }

    static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    static string Sha256(string content) => Sha256(Encoding.UTF8.GetBytes(content));

    [GeneratedRegex("^([0-9a-f]{64}) [ *](.+)$")]
    private static partial Regex ChecksumLine();
}
