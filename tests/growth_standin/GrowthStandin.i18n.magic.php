<?php
/**
 * Magic words of the GrowthStandin test extension: {{#mentor:}}.
 *
 * @file
 */

$magicWords = [];

$magicWords['en'] = [
	'mentor' => [ 0, 'mentor' ],
];
