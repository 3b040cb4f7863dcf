// `{{field}}` templates (email subjects and bodies, serial letters).
export {
  compileTemplate,
  escapeHtml,
  TemplateError,
  type Template,
  type CompileOptions,
} from './template.ts';
