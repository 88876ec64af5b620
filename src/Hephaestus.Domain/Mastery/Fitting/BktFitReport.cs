namespace Hephaestus.Domain.Mastery.Fitting;

/// <summary>What a fit found and how well it predicts learners it never saw.</summary>
/// <param name="Parameters">The fitted parameters (best restart).</param>
/// <param name="LogLikelihood">Log likelihood of the training sequences under <paramref name="Parameters"/>.</param>
/// <param name="Iterations">EM iterations of the winning restart.</param>
/// <param name="TrainSequences">Learners used for fitting.</param>
/// <param name="TrainObservations">Answers used for fitting.</param>
/// <param name="HeldOutSequences">Learners held out.</param>
/// <param name="HeldOutObservations">Answers held out.</param>
/// <param name="Auc">One-step-ahead AUC on the held-out answers; null without both classes.</param>
/// <param name="Rmse">One-step-ahead RMSE on the held-out answers; null without held-out answers.</param>
/// <param name="BaselineAuc">AUC of always predicting the training mean (0.5 by construction).</param>
/// <param name="BaselineRmse">RMSE of always predicting the training mean.</param>
public sealed record BktFitReport(
    BktParameters Parameters,
    double LogLikelihood,
    int Iterations,
    int TrainSequences,
    int TrainObservations,
    int HeldOutSequences,
    int HeldOutObservations,
    double? Auc,
    double? Rmse,
    double? BaselineAuc,
    double? BaselineRmse);
