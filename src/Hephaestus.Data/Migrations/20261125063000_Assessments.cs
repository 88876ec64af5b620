using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Hephaestus.Data.Migrations;

/// <summary>Item bank, assessments, attempts, results, idempotency keys, rubric scoring and the evidence log (SQL-defined, as 0003–0004).</summary>
[DbContext(typeof(HephaestusDbContext))]
[Migration("20261125063000_Assessments")]
public sealed class Assessments : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql(SqlScripts.Load("0007_assessments.sql"));

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql("""
            DROP TABLE hephaestus.evidence, hephaestus.rubric_assessments, hephaestus.idempotency_keys, hephaestus.results,
                hephaestus.attempt_responses, hephaestus.attempts, hephaestus.assessment_parts, hephaestus.assessments,
                hephaestus.item_version_skills, hephaestus.item_versions, hephaestus.items;
            """);
}
