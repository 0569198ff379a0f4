/** Every workflow the worker runs. The worker bundles this module (deterministic code only). */
export {};
