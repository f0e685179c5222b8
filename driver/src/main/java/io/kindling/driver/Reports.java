package io.kindling.driver;

import io.kindling.kernels.ConfusionMatrix;
import io.kindling.kernels.Evaluation;
import io.kindling.kernels.RegressionMetrics;
import java.util.Locale;
import org.nd4j.shade.jackson.databind.node.ArrayNode;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/** Human-readable and JSON renderings of evaluation results. */
final class Reports {
  private Reports() {}

  /** The figures a progress line shows: accuracy, or MSE and R^2 for regression. */
  static String headline(Evaluation e) {
    return e instanceof ConfusionMatrix cm
        ? String.format(Locale.ROOT, "acc %.4f", cm.accuracy())
        : String.format(Locale.ROOT, "mse %.4g r2 %.4f", e.loss(), ((RegressionMetrics) e).r2());
  }

  /** The one higher-is-better figure charts follow: accuracy, or R^2 for regression. */
  static double score(Evaluation e) {
    return e instanceof ConfusionMatrix cm ? cm.accuracy() : ((RegressionMetrics) e).r2();
  }

  /**
   * Puts the main metrics under {@code prefix}: accuracy, macro F1 and log loss, or MSE, MAE and
   * R^2 for regression.
   */
  static void putScores(ObjectNode node, String prefix, Evaluation e) {
    if (e instanceof ConfusionMatrix cm) {
      node.put(prefix + "accuracy", cm.accuracy());
      node.put(prefix + "macro_f1", cm.macroF1());
      node.put(prefix + "log_loss", cm.logLoss());
    } else {
      RegressionMetrics r = (RegressionMetrics) e;
      node.put(prefix + "mse", r.mse());
      node.put(prefix + "mae", r.mae());
      node.put(prefix + "r2", r.r2());
    }
  }

  /** {@link #metricsTable(ConfusionMatrix, String)}, or the regression metrics. */
  static String metricsTable(Evaluation e, String split) {
    if (e instanceof ConfusionMatrix cm) {
      return metricsTable(cm, split);
    }
    RegressionMetrics r = (RegressionMetrics) e;
    return String.format(
        Locale.ROOT,
        "%s set: %,d examples%nmse %.6g  rmse %.6g  mae %.6g  r2 %.4f%n",
        split,
        r.total(),
        r.mse(),
        r.rmse(),
        r.mae(),
        r.r2());
  }

  /** {@link #evaluationJson(ConfusionMatrix)}, or the regression metrics. */
  static ObjectNode evaluationJson(Evaluation e) {
    if (e instanceof ConfusionMatrix cm) {
      return evaluationJson(cm);
    }
    RegressionMetrics r = (RegressionMetrics) e;
    ObjectNode node = Json.object();
    node.put("examples", r.total());
    node.put("mse", r.mse());
    node.put("rmse", r.rmse());
    node.put("mae", r.mae());
    node.put("r2", r.r2());
    return node;
  }

  /** Per-class precision, recall, F1 and support, then the aggregate metrics and the matrix. */
  static String metricsTable(ConfusionMatrix cm, String split) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%s set: %,d examples%n", split, cm.total()));
    sb.append(
        String.format(
            Locale.ROOT,
            "%-7s %9s %9s %9s %9s%n",
            "class",
            "precision",
            "recall",
            "f1",
            "support"));
    for (int c = 0; c < cm.classes(); c++) {
      sb.append(
          String.format(
              Locale.ROOT,
              "%-7d %9.4f %9.4f %9.4f %9d%n",
              c,
              cm.precision(c),
              cm.recall(c),
              cm.f1(c),
              cm.support(c)));
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "accuracy %.4f  macro F1 %.4f  weighted F1 %.4f  top-%d accuracy %.4f  log loss %.4f%n",
            cm.accuracy(),
            cm.macroF1(),
            cm.weightedF1(),
            cm.topK(),
            cm.topKAccuracy(),
            cm.logLoss()));
    sb.append("confusion matrix (rows: actual, columns: predicted)\n");
    for (int a = 0; a < cm.classes(); a++) {
      for (int p = 0; p < cm.classes(); p++) {
        sb.append(String.format(Locale.ROOT, "%6d", cm.count(a, p)));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  static ObjectNode evaluationJson(ConfusionMatrix cm) {
    ObjectNode node = Json.object();
    node.put("examples", cm.total());
    node.put("accuracy", cm.accuracy());
    node.put("macro_f1", cm.macroF1());
    node.put("weighted_f1", cm.weightedF1());
    node.put("top" + cm.topK() + "_accuracy", cm.topKAccuracy());
    node.put("log_loss", cm.logLoss());
    ArrayNode perClass = node.putArray("per_class");
    for (int c = 0; c < cm.classes(); c++) {
      ObjectNode k = perClass.addObject();
      k.put("class", c);
      k.put("precision", cm.precision(c));
      k.put("recall", cm.recall(c));
      k.put("f1", cm.f1(c));
      k.put("support", cm.support(c));
    }
    node.set("confusion_matrix", confusionJson(cm));
    return node;
  }

  static ArrayNode confusionJson(ConfusionMatrix cm) {
    ArrayNode rows = Json.MAPPER.createArrayNode();
    for (int a = 0; a < cm.classes(); a++) {
      ArrayNode row = rows.addArray();
      for (int p = 0; p < cm.classes(); p++) {
        row.add(cm.count(a, p));
      }
    }
    return rows;
  }
}
