package io.kindling.driver;

import io.kindling.data.LabeledData;

/** Where a job's training and test examples come from: the configured files, or a DataFrame. */
interface ExampleSource {
  LabeledData train();

  LabeledData test();

  /** Names the data in the job's opening lines. */
  String describe();
}
