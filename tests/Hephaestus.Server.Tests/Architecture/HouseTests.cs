using System.Text.RegularExpressions;

namespace Hephaestus.Server.Tests.Architecture;

/// <summary>
/// The shape of the house (CONVENTIONS.md), checked on the source tree so that it cannot drift: HTTP at the edge, SQL in
/// the data layer, slices that never import each other, and one module that writes a learner's state.
/// </summary>
public partial class HouseTests
{
    /// <summary>The repository (the folder of Hephaestus.slnx): tests that read the docs find them here too.</summary>
    internal static readonly string Root = FindRoot();

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Hephaestus.slnx"))) return dir.FullName;
        }

        throw new InvalidOperationException("Hephaestus.slnx not found above " + AppContext.BaseDirectory);
    }

    static IEnumerable<(string Path, string Text)> Sources(string folder) =>
        Directory.EnumerateFiles(Path.Combine(Root, folder), "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(p => (Path.GetRelativePath(Root, p), File.ReadAllText(p)));

    [GeneratedRegex(@"NpgsqlCommand|NpgsqlBatch|CreateCommand\(|\.Command\(|\b(SELECT|INSERT INTO|DELETE FROM)\b|\bUPDATE hephaestus\.")]
    private static partial Regex SqlPattern();

    [GeneratedRegex(@"^using (static )?Hephaestus\.Server\.Features\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex FeatureImport();

    [GeneratedRegex(@"\b(INSERT INTO|UPDATE|DELETE FROM)\s+hephaestus\.(evidence|results|learner_skill_mastery|enrollments|enrollment_overrides|content_exposures|item_analysis_attempts)\b")]
    private static partial Regex LearnerStateWrite();

    [Fact]
    public void No_file_in_the_web_layer_issues_sql()
    {
        var offenders = Sources("src/Hephaestus.Server").Where(f => SqlPattern().IsMatch(f.Text)).Select(f => f.Path).ToList();
        Assert.True(offenders.Count == 0, "SQL belongs in src/Hephaestus.Data; found in: " + string.Join(", ", offenders));
    }

    [Fact]
    public void No_feature_folder_imports_another()
    {
        var features = Path.Combine("src", "Hephaestus.Server", "Features") + Path.DirectorySeparatorChar;
        var offenders = new List<string>();
        foreach (var (path, text) in Sources("src/Hephaestus.Server").Where(f => f.Path.StartsWith(features, StringComparison.Ordinal)))
        {
            var own = path[features.Length..].Split(Path.DirectorySeparatorChar)[0];
            offenders.AddRange(FeatureImport().Matches(text).Select(m => m.Groups[2].Value).Where(f => f != own).Select(f => $"{path} imports {f}"));
        }

        Assert.True(offenders.Count == 0, "What two slices share belongs in the kernel: " + string.Join("; ", offenders));
    }

    [Fact]
    public void Only_the_learning_module_writes_results_evidence_mastery_and_progress()
    {
        var learning = Path.Combine("src", "Hephaestus.Data", "Learning") + Path.DirectorySeparatorChar;
        var offenders = Sources("src")
            .Where(f => !f.Path.StartsWith(learning, StringComparison.Ordinal) && LearnerStateWrite().IsMatch(f.Text))
            .Select(f => f.Path).ToList();
        Assert.True(offenders.Count == 0, "Learner state is written by src/Hephaestus.Data/Learning only; also written in: " + string.Join(", ", offenders));
    }

    [GeneratedRegex(@"\b(BeginLearnerRecordAsync|MarkLearnerRecord)\b|hephaestus\.operation")]
    private static partial Regex LearnerRecordMark();

    [Fact]
    public void Only_the_operations_that_own_learner_state_mark_their_transactions_as_such()
    {
        // The mark lets a transaction write learner state and read an attempt's answer keys (Sql/0009_defence_in_depth.sql).
        string[] owners =
        [
            Path.Combine("src", "Hephaestus.Data", "Kernel") + Path.DirectorySeparatorChar,
            Path.Combine("src", "Hephaestus.Data", "Learning") + Path.DirectorySeparatorChar,
            Path.Combine("src", "Hephaestus.Data", "Assessments", "AttemptStore"),
        ];
        var marked = Sources("src").Where(f => LearnerRecordMark().IsMatch(f.Text)).Select(f => f.Path).ToList();
        var offenders = marked.Where(p => !owners.Any(o => p.StartsWith(o, StringComparison.Ordinal))).ToList();
        Assert.True(offenders.Count == 0, "Only Data/Learning and AttemptStore mark a transaction as the learner record's; also: " + string.Join(", ", offenders));
        Assert.Contains(marked, p => p.StartsWith(owners[2], StringComparison.Ordinal));
    }

    [Fact]
    public void The_data_layer_knows_nothing_of_http()
    {
        var references = typeof(Hephaestus.Data.ActorScope).Assembly.GetReferencedAssemblies().Select(r => r.Name!).ToList();
        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.DoesNotContain(references, r => r.StartsWith("hephaestus", StringComparison.Ordinal));
    }

    [Fact]
    public void The_checks_above_see_the_sources_they_claim_to_check()
    {
        // A scan that finds no files would pass vacuously.
        Assert.Contains(Sources("src/Hephaestus.Server"), f => f.Path.EndsWith("Program.cs", StringComparison.Ordinal));
        Assert.Contains(Sources("src"), f => SqlPattern().IsMatch(f.Text) && LearnerStateWrite().IsMatch(f.Text));
    }
}
