using Hephaestus.Domain.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Hephaestus.Data.Configurations;

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> user)
    {
        user.ToTable("users", t =>
        {
            t.HasCheckConstraint("ck_users_roles_known",
                "cardinality(roles) >= 1 AND roles <@ ARRAY['learner','educator','author','analyst','admin']::text[]");
            t.HasCheckConstraint("ck_users_profile_is_object", "jsonb_typeof(profile) = 'object'");
            t.HasCheckConstraint("ck_users_display_name_length", "char_length(display_name) BETWEEN 1 AND 200");
            t.HasCheckConstraint("ck_users_email_shape", "email ~ '^[^@\\s]+@[^@\\s]+$' AND char_length(email) <= 320");
            t.HasCheckConstraint("ck_users_external_subject_length", "char_length(external_subject) BETWEEN 1 AND 255");
        });
        user.HasKey(u => u.Id);
        user.Property(u => u.Id).ValueGeneratedNever();
        user.Property(u => u.ExternalSubject).IsRequired();
        user.HasIndex(u => u.ExternalSubject).IsUnique();
        user.Property(u => u.Email).IsRequired();
        user.Property(u => u.DisplayName).IsRequired();
        user.Property(u => u.Locale).IsRequired().HasDefaultValue("en");
        user.Property(u => u.TimeZone).IsRequired().HasDefaultValue("UTC");
        user.Property(u => u.Roles).IsRequired().HasDefaultValueSql("ARRAY['learner']::text[]");
        user.Property(u => u.Profile).HasColumnType("jsonb").IsRequired().HasDefaultValueSql("'{}'::jsonb");
        // jsonb_path_ops: smaller and faster than the default opclass for the only operator we use, containment (@>).
        user.HasIndex(u => u.Profile).HasMethod("gin").HasOperators("jsonb_path_ops");
        user.Property(u => u.CreatedAt).HasDefaultValueSql("now()");
        user.Property(u => u.UpdatedAt).HasDefaultValueSql("now()");
        user.Property(u => u.Version).IsRowVersion();
    }
}

internal sealed class CohortConfiguration : IEntityTypeConfiguration<Cohort>
{
    public void Configure(EntityTypeBuilder<Cohort> cohort)
    {
        cohort.ToTable("cohorts", t => t.HasCheckConstraint("ck_cohorts_name_length", "char_length(name) BETWEEN 1 AND 200"));
        cohort.HasKey(c => c.Id);
        cohort.Property(c => c.Id).ValueGeneratedNever();
        cohort.Property(c => c.CreatedAt).HasDefaultValueSql("now()");
        cohort.Property(c => c.Version).IsRowVersion();
        cohort.HasMany(c => c.Members).WithOne().HasForeignKey(m => m.CohortId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CohortMemberConfiguration : IEntityTypeConfiguration<CohortMember>
{
    public void Configure(EntityTypeBuilder<CohortMember> member)
    {
        member.ToTable("cohort_members", t => t.HasCheckConstraint("ck_cohort_members_role", "member_role IN ('educator','learner')"));
        member.HasKey(m => new { m.CohortId, m.UserId });
        // "Which cohorts is this user in" drives every educator authorization check.
        member.HasIndex(m => new { m.UserId, m.MemberRole });
        member.HasOne<User>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
        member.Property(m => m.AddedAt).HasDefaultValueSql("now()");
    }
}
