using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Hephaestus.Data.Migrations
{
    /// <inheritdoc />
    public partial class Identity : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "hephaestus");

            // Before the tables: the application role and its default privileges, so every table below is granted to it.
            migrationBuilder.Sql(SqlScripts.Load("0001_roles_and_actor.sql"));

            migrationBuilder.CreateTable(
                name: "cohorts",
                schema: "hephaestus",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    description = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    xmin = table.Column<uint>(type: "xid", rowVersion: true, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_cohorts", x => x.id);
                    table.CheckConstraint("ck_cohorts_name_length", "char_length(name) BETWEEN 1 AND 200");
                });

            migrationBuilder.CreateTable(
                name: "users",
                schema: "hephaestus",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    external_subject = table.Column<string>(type: "text", nullable: false),
                    email = table.Column<string>(type: "text", nullable: false),
                    display_name = table.Column<string>(type: "text", nullable: false),
                    locale = table.Column<string>(type: "text", nullable: false, defaultValue: "en"),
                    time_zone = table.Column<string>(type: "text", nullable: false, defaultValue: "UTC"),
                    roles = table.Column<string[]>(type: "text[]", nullable: false, defaultValueSql: "ARRAY['learner']::text[]"),
                    profile = table.Column<string>(type: "jsonb", nullable: false, defaultValueSql: "'{}'::jsonb"),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    xmin = table.Column<uint>(type: "xid", rowVersion: true, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_users", x => x.id);
                    table.CheckConstraint("ck_users_display_name_length", "char_length(display_name) BETWEEN 1 AND 200");
                    table.CheckConstraint("ck_users_email_shape", "email ~ '^[^@\\s]+@[^@\\s]+$' AND char_length(email) <= 320");
                    table.CheckConstraint("ck_users_external_subject_length", "char_length(external_subject) BETWEEN 1 AND 255");
                    table.CheckConstraint("ck_users_profile_is_object", "jsonb_typeof(profile) = 'object'");
                    table.CheckConstraint("ck_users_roles_known", "cardinality(roles) >= 1 AND roles <@ ARRAY['learner','educator','author','analyst','admin']::text[]");
                });

            migrationBuilder.CreateTable(
                name: "cohort_members",
                schema: "hephaestus",
                columns: table => new
                {
                    cohort_id = table.Column<Guid>(type: "uuid", nullable: false),
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    member_role = table.Column<string>(type: "text", nullable: false),
                    added_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_cohort_members", x => new { x.cohort_id, x.user_id });
                    table.CheckConstraint("ck_cohort_members_role", "member_role IN ('educator','learner')");
                    table.ForeignKey(
                        name: "fk_cohort_members_cohorts_cohort_id",
                        column: x => x.cohort_id,
                        principalSchema: "hephaestus",
                        principalTable: "cohorts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_cohort_members_users_user_id",
                        column: x => x.user_id,
                        principalSchema: "hephaestus",
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_cohort_members_user_id_member_role",
                schema: "hephaestus",
                table: "cohort_members",
                columns: new[] { "user_id", "member_role" });

            migrationBuilder.CreateIndex(
                name: "ix_users_external_subject",
                schema: "hephaestus",
                table: "users",
                column: "external_subject",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_users_profile",
                schema: "hephaestus",
                table: "users",
                column: "profile")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:IndexOperators", new[] { "jsonb_path_ops" });

            migrationBuilder.Sql(SqlScripts.Load("0002_identity_security.sql"));
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Policies go with their tables; the functions and the trigger functions do not.
            migrationBuilder.Sql("""
                DROP FUNCTION IF EXISTS hephaestus.resolve_actor(text), hephaestus.can_write_learner(uuid),
                    hephaestus.can_read_learner(uuid), hephaestus.educates(uuid), hephaestus.is_cohort_educator(uuid), hephaestus.is_cohort_member(uuid)
                    CASCADE;
                """);

            migrationBuilder.DropTable(
                name: "cohort_members",
                schema: "hephaestus");

            migrationBuilder.DropTable(
                name: "cohorts",
                schema: "hephaestus");

            migrationBuilder.DropTable(
                name: "users",
                schema: "hephaestus");

            migrationBuilder.Sql("""
                DROP FUNCTION IF EXISTS hephaestus.guard_user_privileged_columns(), hephaestus.touch_updated_at(),
                    hephaestus.has_role(text), hephaestus.current_roles(), hephaestus.current_user_id();
                """);
        }
    }
}
