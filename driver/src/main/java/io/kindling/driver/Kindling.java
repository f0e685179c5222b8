package io.kindling.driver;

import io.kindling.data.DataException;
import io.kindling.kernels.ModelFileException;
import io.kindling.kernels.ShapeException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The {@code kindling} command line: train, evaluate, predict and inspect models on Spark. */
@Command(
    name = "kindling",
    mixinStandardHelpOptions = true,
    versionProvider = Kindling.Version.class,
    description = "Distributed neural-network training on Apache Spark.",
    subcommands = {
      TrainCommand.class,
      EvaluateCommand.class,
      PredictCommand.class,
      InspectCommand.class,
      GenerateCommand.class,
      BenchCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Kindling implements Callable<Integer> {
  /** Exit status for input the user can fix: configuration, data, model files. */
  static final int USER_ERROR = 2;

  @Option(
      names = "--verbose",
      scope = ScopeType.INHERIT,
      description = "Print full stack traces on errors.")
  boolean verbose;

  @Option(
      names = "--home",
      scope = ScopeType.INHERIT,
      hidden = true,
      description = "The Kindling folder holding conf/ (set by bin/kindling).")
  Path home;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Where commands print results and progress. */
  PrintStream out = System.out;

  @Override
  public Integer call() {
    spec.commandLine().usage(out);
    return 0;
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs a command line and returns the exit status (for tests and embedding). */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    Kindling root = new Kindling();
    root.out = out;
    CommandLine cli = new CommandLine(root);
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          boolean verbose = parseResult.hasMatchedOption("--verbose") || root.verbose;
          Throwable userError = userError(e);
          if (userError != null) {
            err.println("kindling: " + userError.getMessage());
          } else {
            err.println(
                "kindling: unexpected error: "
                    + e
                    + (verbose ? "" : " (run with --verbose for the stack trace)"));
          }
          if (verbose) {
            e.printStackTrace(err);
          }
          err.flush();
          return userError != null ? USER_ERROR : 1;
        });
    return cli.execute(args);
  }

  /** The user-fixable error behind {@code e}, also when Spark has wrapped it in a task failure. */
  static Throwable userError(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConfigException
          || t instanceof DataException
          || t instanceof ModelFileException
          || t instanceof ShapeException) {
        return t;
      }
    }
    return null;
  }

  /** The version written in the job jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Kindling.class.getPackage().getImplementationVersion();
      return new String[] {"kindling " + (v == null ? "(development build)" : v)};
    }
  }
}
