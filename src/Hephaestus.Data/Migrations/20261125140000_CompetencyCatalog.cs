using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Hephaestus.Data.Migrations;

/// <summary>
/// The competency catalog API's rules in the database: mastery levels frozen while in use, re-classification of
/// recorded mastery when a framework changes scale, the references that keep a skill from being deleted, and the
/// default scale (SQL-defined, as 0003–0007: the model snapshot does not change).
/// </summary>
[DbContext(typeof(HephaestusDbContext))]
[Migration("20261125140000_CompetencyCatalog")]
public sealed class CompetencyCatalog : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql(SqlScripts.Load("0008_competency_catalog.sql"));

    // Removing the default scale fails while a framework still uses it, which is the point: going down must not
    // leave frameworks without a scale.
    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql("""
            DROP TRIGGER mastery_levels_frozen_in_use ON hephaestus.mastery_levels;
            DELETE FROM hephaestus.mastery_scales WHERE id = '00000000-0000-7000-8000-000000000001';
            DROP INDEX hephaestus.ix_learner_skill_mastery_skill;
            DROP FUNCTION hephaestus.guard_mastery_levels_in_use(), hephaestus.mastery_scale_in_use(uuid),
                hephaestus.reclassify_framework_mastery(uuid), hephaestus.skill_subtree_references(uuid);
            """);
}
