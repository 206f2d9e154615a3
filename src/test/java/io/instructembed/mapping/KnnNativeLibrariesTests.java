package io.instructembed.mapping;

import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Which k-NN engines this node can run, found from the library folders as the JDK would look (issue #20, item 7). */
public class KnnNativeLibrariesTests extends OpenSearchTestCase {

    private static void library(Path folder, String name) throws IOException {
        Files.write(folder.resolve(System.mapLibraryName(name)), new byte[] { 0 });
    }

    public void testWithoutNativeLibrariesFaissAndNmslibAreMissing() {
        KnnNativeLibraries none = new KnnNativeLibraries(List.of(createTempDir(), createTempDir()), Files::isRegularFile);
        assertEquals("opensearchknn_faiss", none.missingLibrary("faiss"));
        assertEquals("opensearchknn_faiss", none.missingLibrary("FAISS"));
        assertEquals("opensearchknn_nmslib", none.missingLibrary("nmslib"));
        assertNull("lucene is Java", none.missingLibrary("lucene"));
        assertNull("no engine named: the transformer's default", none.missingLibrary(null));
        assertNull("an unknown engine is k-NN's to refuse", none.missingLibrary("annoy"));
    }

    public void testLibrariesInAnyFolderOfThePathAreFound() throws IOException {
        Path empty = createTempDir();
        Path knnLib = createTempDir();
        library(knnLib, "opensearchknn_faiss");
        KnnNativeLibraries libraries = new KnnNativeLibraries(List.of(empty, knnLib), Files::isRegularFile);
        assertEquals("faiss needs k-NN's common library too", "opensearchknn_common", libraries.missingLibrary("faiss"));
        library(knnLib, "opensearchknn_common");
        assertNull(libraries.missingLibrary("faiss"));
        assertEquals("opensearchknn_nmslib", libraries.missingLibrary("nmslib"));
        library(empty, "opensearchknn_nmslib");
        assertNull(libraries.missingLibrary("nmslib"));
    }

    public void testAFolderNamedLikeTheLibraryIsNoLibrary() throws IOException {
        Path folder = createTempDir();
        Files.createDirectory(folder.resolve(System.mapLibraryName("opensearchknn_faiss")));
        library(folder, "opensearchknn_common");
        assertEquals("opensearchknn_faiss", new KnnNativeLibraries(List.of(folder), Files::isRegularFile).missingLibrary("faiss"));
    }

    public void testAnUnreadablePathNeverRefusesAnEngine() {
        KnnNativeLibraries unreadable = new KnnNativeLibraries(List.of(createTempDir()), path -> {
            throw new SecurityException("denied");
        });
        assertNull(unreadable.missingLibrary("faiss"));
    }

    public void testPathListsAreSplitAsTheJdkDoes() {
        String separator = java.io.File.pathSeparator;
        assertEquals(List.of(Path.of("/a"), Path.of("/b/c")), KnnNativeLibraries.folders("/a" + separator + separator + "/b/c"));
        assertEquals(List.of(), KnnNativeLibraries.folders(null));
    }

    public void testAnswersTakenAtStartLookAtNoFileLater() throws IOException {
        Path folder = createTempDir();
        library(folder, "opensearchknn_faiss");
        library(folder, "opensearchknn_common");
        java.util.concurrent.atomic.AtomicInteger looks = new java.util.concurrent.atomic.AtomicInteger();
        KnnNativeLibraries atStart = new KnnNativeLibraries(List.of(folder), path -> {
            looks.incrementAndGet();
            return Files.isRegularFile(path);
        }).answeredNow();
        int looked = looks.get();
        Files.delete(folder.resolve(System.mapLibraryName("opensearchknn_faiss")));
        library(folder, "opensearchknn_nmslib");
        assertNull("as found at start", atStart.missingLibrary("faiss"));
        assertNull(atStart.missingLibrary("Faiss"));
        assertEquals("opensearchknn_nmslib", atStart.missingLibrary("nmslib"));
        assertNull(atStart.missingLibrary("lucene"));
        assertEquals("mapping checks look at no file", looked, looks.get());
    }

    public void testThisJvmIsAnsweredOnce() {
        assertSame(KnnNativeLibraries.ofThisJvm(), KnnNativeLibraries.ofThisJvm());
        assertNull(KnnNativeLibraries.ofThisJvm().missingLibrary("lucene"));
    }
}
