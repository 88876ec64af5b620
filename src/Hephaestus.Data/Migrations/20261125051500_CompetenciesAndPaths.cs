using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Hephaestus.Data.Migrations;

/// <summary>
/// Competency frameworks, skills and their prerequisite DAG, mastery scales, rubrics, learning paths and enrollments.
/// These tables are defined in SQL, not in the EF model: they are read and written with raw Npgsql on hot paths, and
/// their invariants (composite learner keys, deferred and trigger-enforced rules) are PostgreSQL's to keep. The model
/// snapshot therefore does not change, and this migration needs no designer file.
/// </summary>
[DbContext(typeof(HephaestusDbContext))]
[Migration("20261125051500_CompetenciesAndPaths")]
public sealed class CompetenciesAndPaths : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql(SqlScripts.Load("0003_competencies.sql"));
        migrationBuilder.Sql(SqlScripts.Load("0004_learning_paths.sql"));
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""
            DROP VIEW hephaestus.enrollment_step_states;
            DROP TABLE hephaestus.enrollment_overrides, hephaestus.enrollments,
                hephaestus.learner_skill_mastery, hephaestus.path_step_prerequisites, hephaestus.path_steps,
                hephaestus.path_versions, hephaestus.learning_paths, hephaestus.rubric_criteria, hephaestus.rubrics,
                hephaestus.skill_prerequisites, hephaestus.skills, hephaestus.competency_frameworks,
                hephaestus.mastery_levels, hephaestus.mastery_scales;
            DROP FUNCTION hephaestus.check_enrollment_version(), hephaestus.can_teach_learner(uuid), hephaestus.guard_frozen_path_version(),
                hephaestus.check_step_prerequisite_acyclic(), hephaestus.can_author(), hephaestus.is_signed_in(),
                hephaestus.rubric_ratings_valid(jsonb, numeric), hephaestus.check_skill_prerequisite_acyclic(),
                hephaestus.check_skill_tree(), hephaestus.check_mastery_scale();
            """);
    }
}
