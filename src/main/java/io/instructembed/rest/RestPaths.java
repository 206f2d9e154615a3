package io.instructembed.rest;

/** The REST root of the plugin. */
public final class RestPaths {
    private RestPaths() {}

    public static final String ROOT = "/_plugins/_instruct_embed";
}
