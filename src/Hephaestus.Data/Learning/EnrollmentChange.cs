using Hephaestus.Domain;
using Hephaestus.Domain.Paths;

namespace Hephaestus.Data.Learning;

/// <summary>How an operation on an enrollment ended; the edge turns each outcome but Done and Created into a problem detail.</summary>
public enum EnrollmentOutcome
{
    Done,

    /// <summary>A new enrollment was written (Done means the learner was already enrolled, or the step already so).</summary>
    Created,

    /// <summary>The learner does not exist for the actor (row-level security hides learners the actor may not read).</summary>
    LearnerNotFound,

    /// <summary>The enrollment does not exist for the actor.</summary>
    NotFound,

    /// <summary>The enrollment has no step with the given key.</summary>
    StepNotFound,

    /// <summary>The actor may see the learner but not do this for them.</summary>
    Refused,

    /// <summary>The change does not fit the current state (<see cref="EnrollmentChange.Detail"/> says why).</summary>
    Conflict,

    /// <summary>Fields refer to things that do not exist (<see cref="EnrollmentChange.Errors"/>, keyed by JSON path).</summary>
    Invalid,

    /// <summary>No learning path has the given id.</summary>
    UnknownPath,

    /// <summary>An update of a versioned enrollment came without If-Match.</summary>
    PreconditionRequired,

    /// <summary>The enrollment changed since the client read it (<see cref="EnrollmentChange.CurrentVersion"/> is its version now).</summary>
    PreconditionFailed,
}

/// <summary>
/// The result of an operation on an enrollment: its state afterwards (Done, Created), why it conflicted and the step's
/// status when a step was concerned (Conflict), the fields at fault (Invalid), the row's version now (PreconditionFailed).
/// </summary>
public sealed record EnrollmentChange(
    EnrollmentOutcome Outcome, EnrollmentState? State = null, string? Detail = null, StepStatus? StepStatus = null, IReadOnlyList<ValidationError>? Errors = null,
    uint? CurrentVersion = null)
{
    public static readonly EnrollmentChange NotFound = new(EnrollmentOutcome.NotFound);

    public static readonly EnrollmentChange StepNotFound = new(EnrollmentOutcome.StepNotFound);

    public static EnrollmentChange Conflict(string detail, StepStatus? stepStatus = null) => new(EnrollmentOutcome.Conflict, Detail: detail, StepStatus: stepStatus);
}
