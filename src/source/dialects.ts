/**
 * @module source/dialects
 * Registers the config dialects other than the standard `resources:` form.
 * Imported for its side effect wherever config text is parsed.
 */
import { registerDialect } from './parse';
import { translateShortForm } from './short-form';

registerDialect(translateShortForm);
