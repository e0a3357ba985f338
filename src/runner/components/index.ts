// Which handler backs up and restores which component type.
import type { Component } from '../../values/components.js';
import { UsageError } from '../../errors.js';
import { streamEngine } from '../engines/index.js';
import { isServerComponent } from '../../values/server-rules.js';
import { serverHandler } from './server/handler.js';
import { streamHandler } from './stream.js';
import type { ComponentHandler } from './types.js';

const HANDLERS = new Map<string, ComponentHandler>();

/** Non-stream component types (files, kubernetes) register their handler here. */
export function registerHandler(type: string, h: ComponentHandler): void {
  HANDLERS.set(type, h);
}

export function handlerFor(c: Component): ComponentHandler {
  if (isServerComponent(c)) return serverHandler;
  const h = HANDLERS.get(c.type) ?? (streamEngine(c.type) ? streamHandler : undefined);
  if (!h) throw new UsageError(`component ${c.name}: type ${c.type} is not supported by this runner`);
  return h as ComponentHandler;
}
