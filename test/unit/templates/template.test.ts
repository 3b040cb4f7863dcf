import { describe, expect, it } from 'vitest';
import { compileTemplate, TemplateError } from '../../../src/templates/index.ts';

describe('compileTemplate', () => {
  it('fills fields, tolerating spaces inside the braces, and leaves missing ones empty', () => {
    const template = compileTemplate('Fax from {{caller}} ({{ pages }} pages){{missing}}');
    expect(template.render({ caller: '+4930123', pages: 3 })).toBe('Fax from +4930123 (3 pages)');
    expect(template.fields).toEqual(['caller', 'pages', 'missing']);
  });

  it('escapes values, never the template, in HTML mode', () => {
    const template = compileTemplate('<p>{{station}}</p>', { html: true });
    expect(template.render({ station: '<script>alert("x")</script>' })).toBe(
      '<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>',
    );
  });

  it('reports unknown fields when the template is configured', () => {
    expect(() =>
      compileTemplate('Fax from {{calller}}', {
        allowedFields: ['caller', 'pages'],
        name: 'subject template',
      }),
    ).toThrow(new TemplateError('subject template uses unknown field {{calller}}; available: caller, pages'));
  });
});
