package io.instructembed.model;

/**
 * One model's lifecycle state on this node, as one immutable value. A {@link ModelSlot} swaps it
 * whole under its lock, so a reader always sees a phase with the model and scheduler that belong
 * to it (a loaded model always has its scheduler; a model being loaded has neither).
 *
 * @param model          the loaded model while {@code LOADED} or {@code DRAINING}, else null
 * @param scheduler      its queue while {@code LOADED} or {@code DRAINING}, else null
 * @param reservedBytes  what the model holds in the instruct_embed circuit breaker
 * @param error          why the last load failed or was refused, else null
 */
record ModelState(LoadState phase, LoadedModel model, BatchScheduler scheduler, long reservedBytes, String error, long loadMillis) {
    static final ModelState NOT_LOADED = new ModelState(LoadState.NOT_LOADED, null, null, 0, null, 0);
    static final ModelState LOADING = new ModelState(LoadState.LOADING, null, null, 0, null, 0);

    ModelState {
        boolean holdsModel = phase == LoadState.LOADED || phase == LoadState.DRAINING;
        if (holdsModel != (model != null) || holdsModel != (scheduler != null)) {
            throw new IllegalArgumentException("a " + phase + " model state must " + (holdsModel ? "" : "not ") + "hold a model and scheduler");
        }
    }

    static ModelState loaded(LoadedModel model, BatchScheduler scheduler, long reservedBytes, long loadMillis) {
        return new ModelState(LoadState.LOADED, model, scheduler, reservedBytes, null, loadMillis);
    }

    /** A load that failed; the next work that needs the model tries again. */
    static ModelState failed(String error) {
        return new ModelState(LoadState.FAILED, null, null, 0, error, 0);
    }

    /** A load that was refused (the circuit breaker): the model stays not loaded, with the reason. */
    static ModelState refused(String reason) {
        return new ModelState(LoadState.NOT_LOADED, null, null, 0, reason, 0);
    }

    ModelState draining() {
        return new ModelState(LoadState.DRAINING, model, scheduler, reservedBytes, null, loadMillis);
    }
}
