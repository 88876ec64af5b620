using Hephaestus.Data.Gradebook;
using Hephaestus.Domain;
using Hephaestus.Domain.Assessments;
using Hephaestus.Server.Api;

namespace Hephaestus.Server.Features.Gradebook;

/// <summary>
/// The gradebooks as spreadsheets: one row per learner (learner id, display name), then per column the figures of a
/// cell. A column's header carries its id beside its title or code, because neither is unique.
/// </summary>
internal static class GradebookCsv
{
    public static string Grades(CohortGradebook<AssessmentColumn, GradeCell> book) =>
        Write(book, c => [$"{c.Title} ({c.Id}) score", $"{c.Title} ({c.Id}) status"],
            cell => [Csv.Number(cell.Score), WireNames<GradeStatus>.Of(cell.Status)]);

    public static string Mastery(CohortGradebook<SkillColumn, MasteryCell> book) =>
        Write(book, c => [$"{c.Code} ({c.Id}) level", $"{c.Code} ({c.Id}) value", $"{c.Code} ({c.Id}) mastered"],
            cell => [cell.Level, Csv.Number(cell.Value), cell.Mastered ? "true" : "false"]);

    static string Write<TColumn, TCell>(CohortGradebook<TColumn, TCell> book, Func<TColumn, string?[]> headers, Func<TCell, string?[]> fields) =>
        Csv.Write([
            ["learner_id", "learner", .. book.Columns.SelectMany(headers)],
            .. book.Learners.Items.Select(row => (string?[])[row.LearnerId.ToString(), row.DisplayName, .. row.Cells.SelectMany(fields)]),
        ]);
}
