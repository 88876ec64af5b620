namespace Hephaestus.Domain.Mastery.Fitting;

public sealed record BktFitOptions
{
    /// <summary>EM runs from this many starting points; the best log likelihood wins (EM only finds a local optimum).</summary>
    public int Restarts { get; init; } = 5;

    public int MaxIterations { get; init; } = 500;

    /// <summary>Stop when the log likelihood per observation improves by less than this.</summary>
    public double Tolerance { get; init; } = 1e-8;

    /// <summary>Seeds the restarts and the train/held-out split, so a fit is reproducible.</summary>
    public int Seed { get; init; } = 17;

    /// <summary>Share of learners (whole sequences, not single answers) held out for AUC and RMSE; 0 for none.</summary>
    public double HeldOutFraction { get; init; } = 0.2;

    /// <summary>Guess and slip are clamped to at most this, below 0.5, so the learned state stays the better one.</summary>
    public double MaxGuessAndSlip { get; init; } = 0.45;

    /// <summary>Every probability is kept in [ε, 1−ε] so that no log likelihood term becomes log 0.</summary>
    public double Epsilon { get; init; } = 1e-6;
}
