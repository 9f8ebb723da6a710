/**
 * Intent recognition: sentence templates -> word grammar (shared with the ASR
 * decoder) and a text parser over the same grammar.
 * @module
 */
export {
  buildCommandGrammar,
  type CommandGrammar,
  countSentences,
  enumerateSentences,
  type GrammarTag,
  registryLists,
  sampleCommands,
  type SampledCommand,
  sampleSentences,
  seededRandom,
  type TaggedArc,
} from "./grammar.ts";
export { decodedIntent, type ParsedIntent, parseIntent, type ParseOptions } from "./parser.ts";
export { normalizeText, numberToWords, tokenize, wordsToNumber } from "../core/text.ts";
export { parseTemplate, TemplateError, type TemplateNode } from "./template.ts";
export {
  DEFAULT_TEMPLATES,
  type IntentName,
  INTENTS,
  mergeTemplates,
  type TemplateSet,
} from "./templates.ts";
