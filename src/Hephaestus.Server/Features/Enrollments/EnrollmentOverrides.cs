using Hephaestus.Data.Learning;
using Hephaestus.Domain.Paths;
using Hephaestus.Server.Api;

namespace Hephaestus.Server.Features.Enrollments;

/// <summary>The shape of an educator's override request, checked before anything is read; what it refers to is checked where it applies.</summary>
internal static class EnrollmentOverrides
{
    public static Validation Shape(OverrideRequest request, out EnrollmentOverride? change)
    {
        change = null;
        var v = new Validation().Text("reason", request.Reason, 1, 2000);
        if (!EnrollmentNames.TryParseOverrideKind(request.Kind, out var kind) || !EnrollmentNames.Requestable.Contains(kind))
        {
            v.Add("kind", "must be one of: " + string.Join(", ", EnrollmentNames.Requestable.Select(k => k.ToWireName())));
            return v;
        }

        switch (kind)
        {
            case OverrideKind.Skip or OverrideKind.Unskip or OverrideKind.Unlock:
                if (request.StepKey is null) v.Add("stepKey", "is required");
                else if (!StepKey.Shape().IsMatch(request.StepKey)) v.Add("stepKey", "must be 1–64 of a-z, 0-9, '_' or '-'");
                break;
            case OverrideKind.Insert:
                if (request.Step is not { } step)
                {
                    v.Add("step", "is required");
                    break;
                }

                v.Text("step.key", step.Key, 1, 64).Text("step.title", step.Title, 1, 200).Text("step.kind", step.Kind, 1, 20);
                if (step.Key is not null && !StepKey.Shape().IsMatch(step.Key)) v.Add("step.key", "must be lower-case letters, digits, '_' or '-'");
                if (step.Kind is not null && step.Kind is not ("skill" or "content" or "assessment")) v.Add("step.kind", "must be skill, content or assessment");
                if (step.RefId == Guid.Empty) v.Add("step.refId", "is required");
                if (step.AfterStep is not null && !StepKey.Shape().IsMatch(step.AfterStep)) v.Add("step.afterStep", "must be a step key: 1–64 of a-z, 0-9, '_' or '-'");
                break;
            case OverrideKind.Goal:
                if (request.Goal is null && request.TargetDate is null) v.Add("goal", "give a goal, a targetDate or both");
                v.Text("goal", request.Goal, 1, 500, required: false);
                break;
            case OverrideKind.Pace:
                if (request.PaceMinutesPerWeek is not (> 0 and <= 10080)) v.Add("paceMinutesPerWeek", "must be between 1 and 10080 (a week of minutes)");
                break;
        }

        if (v.IsValid)
        {
            var s = request.Step;
            change = new EnrollmentOverride(kind, request.Reason, request.StepKey,
                s is null ? null : new StepInsertion(s.Key, s.Kind, s.RefId, s.Title, s.AfterStep, s.TargetSkillIds),
                request.Goal, request.TargetDate, request.PaceMinutesPerWeek);
        }

        return v;
    }
}
