package io.instructembed.pack;

/**
 * A named task of a pack: the instruction that goes into the query template, and whether the task
 * is symmetric (documents are then rendered with the query template too, e.g. STS).
 */
public record TaskSpec(String name, String instruction, boolean symmetric, String description) {}
