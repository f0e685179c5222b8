package io.kindling.it;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import scala.Console$;
import scala.jdk.javaapi.CollectionConverters;
import scala.tools.nsc.Settings;
import scala.tools.nsc.interpreter.IMain;
import scala.tools.nsc.interpreter.Results;
import scala.tools.nsc.interpreter.shell.ReplReporterImpl;

/**
 * An embedded Scala 2.13 REPL set up as Zeppelin's Spark interpreter (and spark-shell) set up
 * theirs: class-based line wrappers, so a closure shipped to the executors carries only the values
 * it uses, and every compiled line written to a folder, from which Spark's executors load the
 * REPL's classes once {@code spark.repl.class.outputDir} names it.
 */
final class ScalaRepl implements AutoCloseable {
  /** What one run printed, compiler messages included, and whether it succeeded. */
  record Outcome(boolean succeeded, String output) {}

  private final ByteArrayOutputStream transcript = new ByteArrayOutputStream();
  private final PrintStream console = new PrintStream(transcript, true, UTF_8);
  private final PrintWriter compilerOutput =
      new PrintWriter(new OutputStreamWriter(console, UTF_8), true);
  private final IMain repl;

  /**
   * @param classPath what the code compiles against; the classes themselves come from this JVM's
   *     class loader, so it should be the same class path
   */
  ScalaRepl(String classPath, Path classOutput) {
    Settings settings = new Settings();
    List<String> args =
        List.of("-Yrepl-class-based", "-Yrepl-outdir", classOutput.toString(), "-cp", classPath);
    if (!(Boolean)
        settings.processArguments(CollectionConverters.asScala(args).toList(), true)._1()) {
      throw new IllegalArgumentException(
          "the Scala compiler rejected the REPL's settings; its messages are on standard error");
    }
    repl = new IMain(settings, new ReplReporterImpl(settings, compilerOutput));
  }

  /** Binds {@code name} to {@code value} as a {@code val} of the given type. */
  Outcome bind(String name, Class<?> type, Object value) {
    return capture(
        () ->
            repl.bind(
                name,
                type.getName(),
                value,
                CollectionConverters.asScala(List.<String>of()).toList()));
  }

  /** Compiles and runs code as one REPL input, as Zeppelin runs one paragraph. */
  Outcome run(String code) {
    return capture(() -> repl.interpret(code));
  }

  /** The value of a term an earlier run defined. */
  Object valueOf(String term) {
    return repl.valueOfTerm(term)
        .getOrElse(
            () -> {
              throw new IllegalArgumentException("the REPL defines no value named " + term);
            });
  }

  private Outcome capture(scala.Function0<Results.Result> action) {
    transcript.reset();
    Results.Result result = Console$.MODULE$.withOut(console, action);
    compilerOutput.flush();
    String output = transcript.toString(UTF_8);
    System.out.print(output);
    return new Outcome(result == Results.Success$.MODULE$, output);
  }

  @Override
  public void close() {
    repl.close();
  }
}
