import { redact, shapeOf, type ExampleRun } from '../src/docs/api-examples';
import { fillExamples, parseExamples } from '../src/docs/examples-doc';

const run = (over: Partial<ExampleRun> = {}): ExampleRun => ({
  id: 'stopCharging',
  query: 'mutation Stop($orderId: ID!) { stopCharging(orderId: $orderId) { order { id state } userErrors { code } } }',
  variables: { orderId: 'o-1' },
  response: { data: { stopCharging: { order: { id: 'o-1', state: 'FINISHING' }, userErrors: [] } } },
  ...over,
});

describe('API examples document', () => {
  const doc = 'Prose stays.\n\n<!-- example:stopCharging -->\nold\n<!-- /example:stopCharging -->\n\nMore prose.\n';

  it('fills an example between its markers and reads it back', () => {
    const filled = fillExamples(doc, [run()]);
    expect(filled).toMatch(/^Prose stays\.[\s\S]*More prose\.\n$/);
    expect(filled).not.toContain('old');
    expect(parseExamples(filled).get('stopCharging')).toEqual({ query: run().query, variables: run().variables, response: run().response });
    // filling again changes nothing but the bodies
    expect(fillExamples(filled, [run()])).toBe(filled);
  });

  it('refuses a run whose markers are missing', () => {
    expect(() => fillExamples('no markers', [run()])).toThrow(/no <!-- example:stopCharging -->/);
  });

  it('redacts tokens and passwords', () => {
    expect(redact({ input: { password: 'secret' }, data: { login: { accessToken: 'eyJ…', refreshToken: 'r', user: { id: 'u' } } } })).toEqual({
      input: { password: '<password>' },
      data: { login: { accessToken: '<access token>', refreshToken: '<refresh token>', user: { id: 'u' } } },
    });
  });

  it('compares shapes: fields and kinds, enum values exactly, lists by their first item', () => {
    const a = { state: 'TO_PAY', id: 'x', n: 1, items: [{ start: '18:00' }, { start: '00:00' }], paidAt: null };
    expect(shapeOf(a)).toEqual(shapeOf({ paidAt: null, items: [{ start: '07:00' }], n: 2, id: 'y', state: 'TO_PAY' }));
    expect(shapeOf(a)).not.toEqual(shapeOf({ ...a, state: 'PAID' }));
    expect(shapeOf(a)).not.toEqual(shapeOf({ ...a, extra: true }));
    expect(shapeOf(a)).not.toEqual(shapeOf({ ...a, n: '1' }));
  });
});
