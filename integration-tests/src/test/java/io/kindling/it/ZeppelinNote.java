package io.kindling.it;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * A Zeppelin note as its {@code .zpln} file stores it: the paragraphs in order, each with the
 * interpreter its first line names ({@code %spark}, {@code %md}) and the code below that line.
 */
record ZeppelinNote(List<ZeppelinNote.Paragraph> paragraphs) {

  /** One paragraph: its title (may be empty), its interpreter and its code. */
  record Paragraph(String title, String interpreter, String code) {}

  static ZeppelinNote read(Path file) throws IOException {
    JsonNode note = new ObjectMapper().readTree(file.toFile());
    String defaultInterpreter = note.path("defaultInterpreterGroup").asText();
    List<Paragraph> paragraphs = new ArrayList<>();
    for (JsonNode p : note.path("paragraphs")) {
      String text = p.path("text").asText();
      String title = p.path("title").asText();
      if (text.startsWith("%")) {
        int lineEnd = text.indexOf('\n');
        String tag = lineEnd < 0 ? text : text.substring(0, lineEnd);
        // "%spark(key=value)" passes local properties to the interpreter; the name is before "(".
        String interpreter = tag.substring(1).split("[(\\s]", 2)[0];
        paragraphs.add(
            new Paragraph(title, interpreter, lineEnd < 0 ? "" : text.substring(lineEnd + 1)));
      } else {
        paragraphs.add(new Paragraph(title, defaultInterpreter, text));
      }
    }
    return new ZeppelinNote(List.copyOf(paragraphs));
  }

  /** The paragraphs one interpreter runs, in note order. */
  List<Paragraph> paragraphs(String interpreter) {
    return paragraphs.stream().filter(p -> p.interpreter().equals(interpreter)).toList();
  }
}
